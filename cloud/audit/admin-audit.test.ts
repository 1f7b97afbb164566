import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdminAuditEntry, AdminAuditPage } from '../../shared/schema/audit.js';
import { gatewayTokensCommand, usersCommand } from '../access/users-command.js';
import type { RunningCloud } from '../server.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch, cloudJson } from '../../test/helpers/cloud-client.js';
import { removeTempDirs, startTestCloud } from '../../test/helpers/stack.js';
import { REDACTED, redactSecrets } from './redact.js';

afterAll(() => removeTempDirs());

describe('secret redaction', () => {
  it('masks secret fields at any depth and passwords in URLs, and keeps the rest', () => {
    expect(
      redactSecrets({
        username: 'ana',
        password: 'pw-1',
        tokenPrefix: 'pwgw_abcde',
        smtp: { host: 'mail', smtpPassword: 'x' },
        cmms: { credentials: { user: 'u', pass: 'p' }, apiKey: 'k', url: 'https://u:p@cmms/x' },
        channels: [{ kind: 'webhook', secret: 's' }],
      }),
    ).toEqual({
      username: 'ana',
      password: REDACTED,
      tokenPrefix: 'pwgw_abcde',
      smtp: { host: 'mail', smtpPassword: REDACTED },
      cmms: { credentials: REDACTED, apiKey: REDACTED, url: `https://u:${REDACTED}@cmms/x` },
      channels: [{ kind: 'webhook', secret: REDACTED }],
    });
  });
});

describe.each(CLOUD_STORES)('admin audit log on %s', (kind) => {
  let cloud: RunningCloud;
  let db: string;
  let engineerToken: string;
  let viewerToken: string;
  /** Every secret the test hands out or gets back: none may be in the audit table. */
  const secrets: string[] = [];

  const send = async (method: string, path: string, body?: unknown) => {
    const response = await cloudFetch(cloud, path, {
      method,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      ...(typeof body === 'string' ? { headers: { 'content-type': 'text/csv' } } : {}),
    });
    const text = await response.text();
    expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const page = (query = '') => cloudJson<AdminAuditPage>(cloud, `/api/v1/audit${query}`);
  const cli = async (command: typeof usersCommand, args: string[]) => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await command(db).parseAsync([...args, '--db', db], { from: 'user' });
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    return printed;
  };

  beforeAll(async () => {
    db = await newCloudDatabase(kind);
    cloud = await startTestCloud({ db });
    await cloudJson(cloud, '/api/v1/me'); // creates test-admin
    const { access } = cloud.store;
    await access.createUser({ username: 'eve', role: 'engineer', sites: 'all' });
    await access.createUser({ username: 'val', role: 'viewer', sites: 'all' });
    engineerToken = await access.createApiToken('eve', 'test');
    viewerToken = await access.createApiToken('val', 'test');
  });
  afterAll(() => cloud?.stop());

  it('records each admin change once with its actor, before and after, and never a secret', async () => {
    const password = 'first-Secret-password-1';
    const newPassword = 'second-Secret-password-2';
    secrets.push(password, newPassword);
    await send('POST', '/api/v1/users', { username: 'nina', role: 'engineer', sites: ['site-a'], password });
    await send('PATCH', '/api/v1/users/nina', { role: 'admin' });
    await send('PATCH', '/api/v1/users/nina', { password: newPassword });
    await send('PATCH', '/api/v1/users/nina', { disabled: true });
    const apiToken = await send('POST', '/api/v1/users/test-admin/tokens', { label: 'ci' });
    secrets.push(apiToken.token as string);
    await send('PUT', '/api/v1/routing', { engineers: { eve: { skills: ['vibration'] } } });
    const hook = await send('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook' });
    secrets.push(hook.secret as string);
    await send('DELETE', `/api/v1/webhooks/${hook.id as number}`);
    const channelSecret = 'notify-webhook-secret-1234';
    secrets.push(channelSecret);
    await send('PUT', '/api/v1/users/eve/notifications', {
      channels: [{ kind: 'webhook', url: 'http://127.0.0.1:9/eve', secret: channelSecret }],
    });
    await send('POST', '/api/v1/imports/assets?source=assets.csv', 'assetId,site\nAUD-1,site-a\n');
    const [gatewayToken] = await cli(gatewayTokensCommand, ['create', 'gw-audit', '--site', 'site-a']);
    secrets.push(gatewayToken!);
    await cli(gatewayTokensCommand, ['revoke', 'gw-audit']);
    await cli(usersCommand, ['revoke-tokens', 'nina']);

    const { entries } = await page('?limit=500');
    const by = (action: string) => entries.filter((e) => e.action === action);
    const one = (action: string): AdminAuditEntry => {
      expect(by(action), action).toHaveLength(1);
      return by(action)[0]!;
    };
    expect(one('user.create')).toMatchObject({
      actor: 'test-admin',
      target: 'user:nina',
      after: { username: 'nina', role: 'engineer', sites: ['site-a'], password: REDACTED },
    });
    expect(one('user.create').before).toBeUndefined();
    expect(one('user.role_change')).toMatchObject({
      actor: 'test-admin',
      before: { role: 'engineer', disabled: false },
      after: { role: 'admin', disabled: false },
    });
    expect(one('user.password_reset')).toMatchObject({ target: 'user:nina', after: { password: REDACTED } });
    expect(one('user.disable')).toMatchObject({ before: { disabled: false }, after: { disabled: true } });
    expect(one('user.api_token_create')).toMatchObject({
      actor: 'test-admin',
      target: 'user:test-admin',
      after: { label: 'ci', tokenPrefix: expect.stringMatching(/^pwu_/) },
    });
    expect(one('routing.replace')).toMatchObject({
      actor: 'test-admin',
      before: { source: 'none' },
      after: { source: 'api', config: { engineers: { eve: { skills: ['vibration'] } } } },
    });
    expect(one('webhook.create')).toMatchObject({
      target: `webhook:${hook.id as number}`,
      after: { url: 'http://127.0.0.1:9/hook', secret: REDACTED },
    });
    expect(one('webhook.delete')).toMatchObject({ before: { url: 'http://127.0.0.1:9/hook' } });
    expect(one('webhook.delete').after).toBeUndefined();
    expect(one('notifications.set')).toMatchObject({
      actor: 'test-admin',
      target: 'user:eve',
      after: { channels: [{ kind: 'webhook', url: 'http://127.0.0.1:9/eve', secret: REDACTED }] },
    });
    expect(one('import.assets')).toMatchObject({
      actor: 'test-admin',
      after: { source: 'assets.csv', rows: 1, applied: { rows: 1 } },
    });
    const cliActor = `cli:${userInfo().username}`;
    expect(one('gateway_token.create')).toMatchObject({
      actor: cliActor,
      target: 'gateway:gw-audit',
      after: { gatewayId: 'gw-audit', tokenPrefix: gatewayToken!.slice(0, 10) },
    });
    expect(one('gateway_token.revoke')).toMatchObject({ actor: cliActor, before: { validTokens: 1 } });
    expect(entries.filter((e) => e.actor === cliActor).map((e) => e.action)).toEqual([
      'user.tokens_revoke',
      'gateway_token.revoke',
      'gateway_token.create',
    ]);

    // The whole table as text, whatever the columns: none of the secrets, anywhere.
    const table = JSON.stringify(await cloud.store.database.all('SELECT * FROM admin_audit'));
    expect(table).toContain(REDACTED);
    for (const secret of secrets) expect(table).not.toContain(secret);
  });

  it('is refused to engineers and viewers', async () => {
    for (const token of [engineerToken, viewerToken]) {
      const response = await fetch(`${cloud.url}/api/v1/audit`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'PW_ROLE' });
    }
    expect((await fetch(`${cloud.url}/api/v1/audit`)).status).toBe(401);
  });

  it('filters by actor, action or prefix, target and time, and pages by cursor', async () => {
    const all = (await page('?limit=500')).entries;
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));

    const nina = (await page('?target=user:nina')).entries;
    expect(nina.map((e) => e.action)).toEqual([
      'user.tokens_revoke',
      'user.disable',
      'user.password_reset',
      'user.role_change',
      'user.create',
    ]);
    expect((await page('?action=user.create')).entries.map((e) => e.target)).toEqual(['user:nina']);
    expect((await page('?action=webhook.')).entries.map((e) => e.action)).toEqual([
      'webhook.delete',
      'webhook.create',
    ]);
    expect((await page(`?actor=cli:${userInfo().username}`)).entries).toHaveLength(3);
    expect((await page('?actor=nobody')).entries).toEqual([]);

    const oldest = all.at(-1)!;
    const newest = all[0]!;
    expect((await page(`?until=${encodeURIComponent(oldest.at)}`)).entries).toEqual([]);
    const since = (await page(`?since=${encodeURIComponent(newest.at)}`)).entries;
    expect(since.map((e) => e.id)).toContain(newest.id);
    expect(since.every((e) => e.at >= newest.at)).toBe(true);

    const seen: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const next = await page(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(next.entries.length).toBeLessThanOrEqual(3);
      seen.push(...next.entries.map((e) => e.id));
      cursor = next.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.map((e) => e.id));

    const bad = await cloudFetch(cloud, '/api/v1/audit?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'PW_BAD_CURSOR', message: /^querystring\/cursor: / });
  });
});
