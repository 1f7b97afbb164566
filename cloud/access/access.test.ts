import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRoutes } from './access-routes.js';
import {
  AccessStore,
  canSeeSite,
  hasRole,
  InvalidUserError,
  LastAdminError,
  UnknownUserError,
  UserExistsError,
  visibleSites,
} from './access-store.js';
import { hashToken } from './secrets.js';
import { openCloudDatabase } from '../open-cloud-store.js';
import type { SqlDatabase } from '../store/sql-database.js';
import { cloudRateLimitOptions } from '../store/shared-rate-limit-store.js';
import { createAjv } from '../../shared/validation.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { capturingLogger, removeTempDirs } from '../../test/helpers/stack.js';

afterAll(() => removeTempDirs());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('roles and sites', () => {
  it('orders roles admin ≥ engineer ≥ viewer', () => {
    expect(hasRole({ role: 'admin' }, 'engineer')).toBe(true);
    expect(hasRole({ role: 'engineer' }, 'engineer')).toBe(true);
    expect(hasRole({ role: 'engineer' }, 'admin')).toBe(false);
    expect(hasRole({ role: 'viewer' }, 'engineer')).toBe(false);
    expect(hasRole({ role: 'viewer' }, 'viewer')).toBe(true);
  });

  it("scopes a user to their sites, or to none with 'all'", () => {
    expect(canSeeSite({ sites: ['plant-a'] }, 'plant-a')).toBe(true);
    expect(canSeeSite({ sites: ['plant-a'] }, 'plant-b')).toBe(false);
    expect(canSeeSite({ sites: 'all' }, 'plant-b')).toBe(true);
    expect(visibleSites({ sites: ['plant-a'] })).toEqual(['plant-a']);
    expect(visibleSites({ sites: 'all' })).toBeUndefined();
  });
});

describe.each(CLOUD_STORES)('access store on %s', (kind) => {
  let database: SqlDatabase;
  let access: AccessStore;

  beforeAll(async () => {
    database = await openCloudDatabase(await newCloudDatabase(kind));
    access = new AccessStore(database);
    await access.createUser({ username: 'root', role: 'admin', sites: 'all', password: 'root-password-1' });
  });
  afterAll(() => database.close());

  it('creates a user with a generated password that logs in', async () => {
    const { password } = await access.createUser({ username: 'ana', role: 'engineer', sites: ['plant-a'] });
    expect(password.length).toBeGreaterThanOrEqual(20);
    const session = await access.login('ana', password);
    expect(session?.token).toMatch(/^pwss_[A-Za-z0-9_-]{43}$/);
    expect(session?.user).toEqual({ username: 'ana', role: 'engineer', sites: ['plant-a'] });
    expect(Date.parse(session!.expiresAt) - Date.now()).toBeGreaterThan(11 * 3_600_000);
    expect(await access.userForToken(session!.token)).toEqual(session!.user);
    expect(await access.listUsers()).toContainEqual({
      username: 'ana',
      role: 'engineer',
      sites: ['plant-a'],
      createdAt: expect.any(String),
    });
  });

  it('refuses a wrong password, an unknown user and a disabled user alike', async () => {
    await access.createUser({ username: 'ben', role: 'viewer', sites: 'all', password: 'ben-password-1' });
    expect(await access.login('ben', 'not-his-password')).toBeUndefined();
    expect(await access.login('nobody', 'ben-password-1')).toBeUndefined();
    await access.updateUser('ben', { disabled: true });
    expect(await access.login('ben', 'ben-password-1')).toBeUndefined();
    expect((await access.listUsers()).find((u) => u.username === 'ben')?.disabledAt).toEqual(
      expect.any(String),
    );
    await access.updateUser('ben', { disabled: false });
    expect(await access.login('ben', 'ben-password-1')).toBeDefined();
  });

  it('refuses duplicates, bad usernames, short passwords, empty site lists and unknown users', async () => {
    await expect(access.createUser({ username: 'root', role: 'viewer', sites: 'all' })).rejects.toThrow(
      UserExistsError,
    );
    await expect(access.createUser({ username: 'a b', role: 'viewer', sites: 'all' })).rejects.toThrow(
      /may contain only letters/,
    );
    await expect(
      access.createUser({ username: 'short', role: 'viewer', sites: 'all', password: 'abc' }),
    ).rejects.toThrow(/needs 10 to 1024 characters/);
    await expect(access.createUser({ username: 'nosite', role: 'viewer', sites: [] })).rejects.toThrow(
      InvalidUserError,
    );
    await expect(access.updateUser('ghost', { role: 'admin' })).rejects.toThrow(UnknownUserError);
    await expect(access.createApiToken('ghost', 'script')).rejects.toThrow(/no user 'ghost'/);
  });

  it('lets a session expire', async () => {
    await access.createUser({ username: 'cid', role: 'viewer', sites: 'all', password: 'cid-password-1' });
    const session = await access.login('cid', 'cid-password-1', 1);
    await sleep(5);
    expect(await access.userForToken(session!.token)).toBeUndefined();
  });

  it('ends a session at logout, and leaves the others', async () => {
    await access.createUser({ username: 'dee', role: 'viewer', sites: 'all', password: 'dee-password-1' });
    const first = await access.login('dee', 'dee-password-1');
    const second = await access.login('dee', 'dee-password-1');
    await access.logout(first!.token);
    expect(await access.userForToken(first!.token)).toBeUndefined();
    expect(await access.userForToken(second!.token)).toBeDefined();
  });

  it('keeps API tokens valid until revoked; a new password ends sessions only', async () => {
    await access.createUser({ username: 'eve', role: 'engineer', sites: 'all', password: 'eve-password-1' });
    const apiToken = await access.createApiToken('eve', 'grafana');
    expect(apiToken).toMatch(/^pwu_/);
    const session = await access.login('eve', 'eve-password-1');
    await access.updateUser('eve', { password: 'eve-password-2' });
    expect(await access.userForToken(session!.token)).toBeUndefined();
    expect(await access.login('eve', 'eve-password-1')).toBeUndefined();
    expect((await access.userForToken(apiToken))?.username).toBe('eve');
    await access.login('eve', 'eve-password-2');
    expect(await access.revokeUserTokens('eve')).toBe(2);
    expect(await access.userForToken(apiToken)).toBeUndefined();
  });

  it('revokes all tokens when a user is disabled, and does not revive them on enabling', async () => {
    await access.createUser({ username: 'fay', role: 'viewer', sites: 'all', password: 'fay-password-1' });
    const apiToken = await access.createApiToken('fay', 'script');
    await access.updateUser('fay', { disabled: true });
    expect(await access.userForToken(apiToken)).toBeUndefined();
    await expect(access.createApiToken('fay', 'script')).rejects.toThrow(/is disabled; enable it first/);
    await access.updateUser('fay', { disabled: false });
    expect(await access.userForToken(apiToken)).toBeUndefined();
  });

  it('applies a new role and sites to tokens already issued', async () => {
    await access.createUser({ username: 'gus', role: 'viewer', sites: ['plant-a'] });
    const apiToken = await access.createApiToken('gus', 'script');
    await access.updateUser('gus', { role: 'engineer', sites: ['plant-a', 'plant-b'] });
    expect(await access.userForToken(apiToken)).toEqual({
      username: 'gus',
      role: 'engineer',
      sites: ['plant-a', 'plant-b'],
    });
  });

  it('refuses to demote or disable the last enabled admin', async () => {
    await expect(access.updateUser('root', { role: 'engineer' })).rejects.toThrow(LastAdminError);
    await expect(access.updateUser('root', { disabled: true })).rejects.toThrow(/last enabled admin/);
    expect((await access.listUsers()).find((u) => u.username === 'root')).toMatchObject({ role: 'admin' });
    await access.createUser({ username: 'root2', role: 'admin', sites: 'all' });
    await access.updateUser('root', { role: 'engineer' });
    await access.updateUser('root', { role: 'admin' });
  });

  it('stores an scrypt hash of each password and a SHA-256 of each token, never the secrets', async () => {
    await access.createUser({ username: 'hal', role: 'viewer', sites: 'all', password: 'hal-password-1' });
    const apiToken = await access.createApiToken('hal', 'script');
    const user = await database.get<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE username = ?',
      ['hal'],
    );
    expect(user?.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const tokens = await database.all<{ token_hash: string; token_prefix: string }>(
      'SELECT token_hash, token_prefix FROM user_tokens WHERE username = ?',
      ['hal'],
    );
    expect(tokens).toEqual([{ token_hash: hashToken(apiToken), token_prefix: apiToken.slice(0, 9) }]);
  });

  it('records last use at most once a minute', async () => {
    await access.createUser({ username: 'ida', role: 'viewer', sites: 'all' });
    const apiToken = await access.createApiToken('ida', 'script');
    const lastUsed = () =>
      database.get<{ last_used_at: string | null }>(
        'SELECT last_used_at FROM user_tokens WHERE token_hash = ?',
        [hashToken(apiToken)],
      );
    await access.userForToken(apiToken);
    const first = (await lastUsed())?.last_used_at;
    expect(first).toEqual(expect.any(String));
    await sleep(5);
    await access.userForToken(apiToken);
    expect((await lastUsed())?.last_used_at).toBe(first);
    const twoMinutesAgo = new Date(Date.now() - 120_000).toISOString();
    await database.run('UPDATE user_tokens SET last_used_at = ? WHERE token_hash = ?', [
      twoMinutesAgo,
      hashToken(apiToken),
    ]);
    await access.userForToken(apiToken);
    expect(Date.parse((await lastUsed())?.last_used_at ?? '')).toBeGreaterThan(Date.parse(twoMinutesAgo));
  });

  it('creates, finds, lists and revokes gateway tokens, which are no user tokens', async () => {
    const token = await access.createGatewayToken('gw-1', { sites: ['site-a'] });
    expect(token).toMatch(/^pwgw_[A-Za-z0-9_-]{43}$/);
    expect(await access.gatewayForToken(token)).toBe('gw-1');
    expect(await access.userForToken(token)).toBeUndefined();
    expect(await access.listGatewayTokens()).toEqual([
      {
        id: hashToken(token).slice(0, 12),
        gatewayId: 'gw-1',
        tokenPrefix: token.slice(0, 10),
        sites: ['site-a'],
        sitesFrom: 'operator',
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
      },
    ]);
    expect(await access.revokeGatewayTokens('gw-1')).toBe(1);
    expect(await access.gatewayForToken(token)).toBeUndefined();
    expect((await access.listGatewayTokens())[0]?.revokedAt).toEqual(expect.any(String));
  });
});

describe.each(CLOUD_STORES)('access routes on %s', (kind) => {
  let database: SqlDatabase;
  let access: AccessStore;
  let app: FastifyInstance;
  let url: string;
  let adminToken: string;
  let viewerToken: string;
  /** Every secret the tests see; none may reach the log. */
  const secrets: string[] = [];
  const log = capturingLogger();

  const call = async (method: string, path: string, options: { token?: string; body?: unknown } = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
    };
  };

  const login = async (username: string, password: string) => {
    secrets.push(password);
    const reply = await call('POST', '/api/v1/login', { body: { username, password } });
    if (typeof reply.body?.token === 'string') secrets.push(reply.body.token);
    return reply;
  };

  beforeAll(async () => {
    database = await openCloudDatabase(await newCloudDatabase(kind));
    access = new AccessStore(database);
    for (const [username, role] of [
      ['boss', 'admin'],
      ['val', 'viewer'],
    ] as const) {
      const { password } = await access.createUser({ username, role, sites: 'all' });
      secrets.push(password);
    }
    adminToken = await access.createApiToken('boss', 'tests');
    viewerToken = await access.createApiToken('val', 'tests');
    secrets.push(adminToken, viewerToken);
    // The production app's validation: strict bodies, so the shared schemas are tested as served.
    const strictAjv = createAjv({ allErrors: false }, 'fast');
    app = Fastify({ loggerInstance: log.logger as FastifyBaseLogger });
    app.setValidatorCompiler(
      ({ schema }) => strictAjv.compile(schema) as ReturnType<typeof strictAjv.compile>,
    );
    // The production limits: on PostgreSQL counted in the shared table, as several instances do.
    await app.register(rateLimit, cloudRateLimitOptions(database));
    await app.register(accessRoutes, { access, loginRateLimit: { max: 3, timeWindowMs: 60_000 } });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('logs in and answers who the token belongs to', async () => {
    const { password } = await access.createUser({ username: 'kim', role: 'engineer', sites: ['plant-a'] });
    const session = await login('kim', password);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ user: { username: 'kim', role: 'engineer', sites: ['plant-a'] } });
    const me = await call('GET', '/api/v1/me', { token: session.body.token as string });
    expect(me).toMatchObject({
      status: 200,
      body: { username: 'kim', role: 'engineer', sites: ['plant-a'] },
    });
  });

  it('answers a failed login the same whether or not the user exists', async () => {
    await access.createUser({ username: 'lou', role: 'viewer', sites: 'all', password: 'lou-password-1' });
    const wrongPassword = await login('lou', 'lou-password-X');
    const unknownUser = await login('lou-nobody', 'lou-password-1');
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknownUser.body);
    expect(wrongPassword.body.code).toBe('PW_LOGIN_FAILED');
  });

  it('ends the session at logout', async () => {
    await access.createUser({ username: 'max', role: 'viewer', sites: 'all', password: 'max-password-1' });
    const token = (await login('max', 'max-password-1')).body.token as string;
    expect((await call('POST', '/api/v1/logout', { token })).status).toBe(204);
    const me = await call('GET', '/api/v1/me', { token });
    expect(me).toMatchObject({ status: 401, body: { code: 'PW_BAD_TOKEN' } });
  });

  it('answers 401 without a token, saying how to get one', async () => {
    const me = await call('GET', '/api/v1/me');
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('PW_MISSING_TOKEN');
    expect(me.body.message).toContain('POST /api/v1/login');
    expect(me.body.message).toContain('plantwatch cloud users token <username>');
    expect((await call('GET', '/api/v1/me', { token: 'pwu_made-up' })).body.code).toBe('PW_BAD_TOKEN');
  });

  it('refuses a gateway token on a user route', async () => {
    const gatewayToken = await access.createGatewayToken('gw-7', { sites: ['site-a'] });
    secrets.push(gatewayToken);
    const me = await call('GET', '/api/v1/me', { token: gatewayToken });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('PW_GATEWAY_TOKEN');
    expect(me.body.message).toContain('/api/v1/ingest and /api/v1/telemetry');
  });

  it('answers 403 to a viewer on an admin route, naming both roles', async () => {
    const users = await call('GET', '/api/v1/users', { token: viewerToken });
    expect(users.status).toBe(403);
    expect(users.body.code).toBe('PW_ROLE');
    expect(users.body.message).toContain('admin role');
    expect(users.body.message).toContain("'val' is viewer");
  });

  it('lets an admin create, list, change users and give them API tokens', async () => {
    const created = await call('POST', '/api/v1/users', {
      token: adminToken,
      body: { username: 'ned', role: 'viewer', sites: ['plant-b'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.username).toBe('ned');
    secrets.push(created.body.password as string);
    expect((await login('ned', created.body.password as string)).status).toBe(200);

    const chosen = await call('POST', '/api/v1/users', {
      token: adminToken,
      body: { username: 'ola', role: 'engineer', sites: 'all', password: 'ola-password-1' },
    });
    secrets.push('ola-password-1');
    expect(chosen).toMatchObject({ status: 201, body: { username: 'ola' } });
    expect(chosen.body.password).toBeUndefined();

    const duplicate = await call('POST', '/api/v1/users', {
      token: adminToken,
      body: { username: 'ned', role: 'viewer', sites: 'all' },
    });
    expect(duplicate).toMatchObject({ status: 409, body: { code: 'PW_USER_EXISTS' } });

    const list = await call('GET', '/api/v1/users', { token: adminToken });
    expect(list.body.users).toContainEqual({
      username: 'ned',
      role: 'viewer',
      sites: ['plant-b'],
      createdAt: expect.any(String),
    });

    const tokenReply = await call('POST', '/api/v1/users/ned/tokens', {
      token: adminToken,
      body: { label: 'cmms sync' },
    });
    expect(tokenReply.status).toBe(201);
    const nedToken = tokenReply.body.token as string;
    secrets.push(nedToken);
    expect((await call('GET', '/api/v1/me', { token: nedToken })).body.username).toBe('ned');

    const patch = await call('PATCH', '/api/v1/users/ned', {
      token: adminToken,
      body: { role: 'engineer', sites: 'all', password: 'ned-password-2' },
    });
    secrets.push('ned-password-2');
    expect(patch.status).toBe(204);
    expect((await call('GET', '/api/v1/me', { token: nedToken })).body).toMatchObject({
      role: 'engineer',
      sites: 'all',
    });
    expect(
      (await call('PATCH', '/api/v1/users/ned', { token: adminToken, body: { disabled: true } })).status,
    ).toBe(204);
    expect((await call('GET', '/api/v1/me', { token: nedToken })).status).toBe(401);
  });

  it('answers 404 for an unknown user and 400 for bad input', async () => {
    const unknown = await call('PATCH', '/api/v1/users/ghost', {
      token: adminToken,
      body: { role: 'admin' },
    });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'PW_NO_USER' } });
    const noTokenForGhost = await call('POST', '/api/v1/users/ghost/tokens', {
      token: adminToken,
      body: { label: 'x' },
    });
    expect(noTokenForGhost.status).toBe(404);
    const badSites = await call('POST', '/api/v1/users', {
      token: adminToken,
      body: { username: 'pia', role: 'viewer', sites: ['plant a'] },
    });
    expect(badSites.status).toBe(400);
    const badRole = await call('POST', '/api/v1/users', {
      token: adminToken,
      body: { username: 'pia', role: 'owner', sites: 'all' },
    });
    expect(badRole.status).toBe(400);
    const shortPassword = await call('POST', '/api/v1/users', {
      token: adminToken,
      body: { username: 'pia', role: 'viewer', sites: 'all', password: 'short' },
    });
    expect(shortPassword.status).toBe(400);
    const emptyPatch = await call('PATCH', '/api/v1/users/val', { token: adminToken, body: {} });
    expect(emptyPatch.status).toBe(400);
  });

  it('limits login attempts per address and username', async () => {
    await access.createUser({ username: 'rex', role: 'viewer', sites: 'all', password: 'rex-password-1' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await login('rex', `rex-guess-${attempt}`)).status).toBe(401);
    }
    const limited = await login('rex', 'rex-password-1');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('PW_TOO_MANY_LOGINS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another username from the same address is not held up by rex's attempts.
    await access.createUser({ username: 'sam', role: 'viewer', sites: 'all', password: 'sam-password-1' });
    expect((await login('sam', 'sam-password-1')).status).toBe(200);
  });

  it('never writes a password or a token to the log', () => {
    const logged = log
      .lines()
      .map((line) => JSON.stringify(line))
      .join('\n');
    expect(logged).toContain('"msg":"login"');
    expect(logged).toContain('"msg":"user created"');
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
});
