import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  SITE_ID_PATTERN,
  TOKEN_LABEL_PATTERN,
  USERNAME_PATTERN,
} from '../../shared/schema/access.js';
import { recordAdminChange } from '../audit/admin-audit.js';
import type { SqlDatabase, SqlExecutor, SqlValue } from '../store/sql-database.js';
import { type AuthenticatedUser, isRole, ROLES, type Role, type UserSites } from './roles.js';
import {
  type GatewayTokenCheck,
  type GatewayTokenInfo,
  GatewayTokens,
  type NewGatewayToken,
  type Rotation,
} from './gateway-tokens.js';
import {
  generatePassword,
  hashPassword,
  hashToken,
  isGatewayToken,
  newToken,
  tokenPrefix,
  verifyAgainstDummy,
  verifyPassword,
} from './secrets.js';

export { canSeeSite, hasRole, ROLES, visibleSites } from './roles.js';
export { generatePassword } from './secrets.js';
export type { AuthenticatedUser, Role, UserSites } from './roles.js';
export type {
  GatewayIdentity,
  GatewayTokenCheck,
  GatewayTokenInfo,
  NewGatewayToken,
} from './gateway-tokens.js';

export interface UserInfo {
  username: string;
  role: Role;
  sites: UserSites;
  createdAt: string;
  disabledAt?: string;
}

export interface NewUser {
  username: string;
  role: Role;
  sites: UserSites;
  /** Omitted: a strong one is generated and returned once. */
  password?: string;
}

export interface UserChanges {
  role?: Role;
  sites?: UserSites;
  /** true also revokes every token of the user, so enabling again does not revive old sessions. */
  disabled?: boolean;
  /** Also ends the user's sessions: whoever knew the old password is logged out. */
  password?: string;
}

export interface Session {
  token: string;
  expiresAt: string;
  user: AuthenticatedUser;
}

/** A shift and a half: one login per working day, and a stolen session dies overnight. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** last_used_at is a hint for admins ("is this token still used?"), not an audit log: a minute is fine. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class UserExistsError extends Error {
  constructor(readonly username: string) {
    super(`user '${username}' already exists; change it with \`plantwatch cloud users set ${username}\``);
    this.name = 'UserExistsError';
  }
}

export class UnknownUserError extends Error {
  constructor(readonly username: string) {
    super(`no user '${username}'; see \`plantwatch cloud users list\``);
    this.name = 'UnknownUserError';
  }
}

/** Input that breaks a rule of user accounts (a bad username, a short password, ...). */
export class InvalidUserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUserError';
  }
}

/** The change would leave nobody able to manage users from the API. */
export class LastAdminError extends Error {
  constructor(readonly username: string) {
    super(
      `'${username}' is the last enabled admin; make another user admin first, so someone can still manage users`,
    );
    this.name = 'LastAdminError';
  }
}

interface UserRow {
  username: string;
  role: string;
  sites: string;
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
}

const ALL_SITES = '*';
const encodeSites = (sites: UserSites): string => (sites === 'all' ? ALL_SITES : JSON.stringify(sites));
const decodeSites = (stored: string): UserSites =>
  stored === ALL_SITES ? 'all' : (JSON.parse(stored) as string[]);

const toUser = (row: Pick<UserRow, 'username' | 'role' | 'sites'>): AuthenticatedUser => ({
  username: row.username,
  role: row.role as Role,
  sites: decodeSites(row.sites),
});

const now = (): string => new Date().toISOString();

const USERNAME = new RegExp(USERNAME_PATTERN);
const SITE_ID = new RegExp(SITE_ID_PATTERN);
const TOKEN_LABEL = new RegExp(TOKEN_LABEL_PATTERN);

function checkUsername(username: string): void {
  if (!USERNAME.test(username)) {
    throw new InvalidUserError(
      `username '${username}' may contain only letters, digits, _ . @ - (1 to 64 characters)`,
    );
  }
}

function checkRole(role: string): void {
  if (!isRole(role)) throw new InvalidUserError(`role must be one of ${ROLES.join(', ')} (got '${role}')`);
}

function checkSites(sites: UserSites): void {
  if (sites === 'all') return;
  if (sites.length === 0) throw new InvalidUserError("sites must name at least one site id, or be 'all'");
  const bad = sites.find((site) => !SITE_ID.test(site));
  if (bad !== undefined) {
    throw new InvalidUserError(
      `site id '${bad}' may contain only letters, digits, _ . - (1 to 64 characters)`,
    );
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidUserError(
      `a password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters (got ${password.length}); ` +
        'leave it out to have a strong one generated',
    );
  }
}

function checkLabel(label: string): void {
  if (!TOKEN_LABEL.test(label)) {
    throw new InvalidUserError(
      `token label '${label}' may contain only letters, digits, spaces, _ . : @ / - (1 to 64 characters)`,
    );
  }
}

/**
 * Who may use the cloud API and as what: gateway tokens (ingest), users with a role and the sites
 * they see, their login sessions and long-lived API tokens. Only hashes of secrets are stored.
 */
export class AccessStore {
  constructor(private readonly db: SqlDatabase) {
    this.gatewayTokens = new GatewayTokens(db);
  }

  /** Gateway tokens: bound to a gateway and its sites, expiring, rotated (gateway-tokens.ts). */
  readonly gatewayTokens: GatewayTokens;

  /** Returns the new token in clear: it is shown once and only its hash is stored. */
  async createGatewayToken(gatewayId: string, options: NewGatewayToken, actor?: string): Promise<string> {
    const token = await this.gatewayTokens.create(gatewayId, options);
    await this.auditGatewayTokens(actor, 'gateway_token.create', gatewayId, undefined, {
      gatewayId,
      tokenPrefix: tokenPrefix(token),
      sites: [...options.sites],
      ...(options.expiresInMs !== undefined ? { expiresInMs: options.expiresInMs } : {}),
    });
    return token;
  }

  /** The gateway of a valid (unrevoked, unexpired) token. */
  async gatewayForToken(token: string): Promise<string | undefined> {
    const check = await this.gatewayTokens.check(token);
    return check.valid ? check.gateway.gatewayId : undefined;
  }

  checkGatewayToken(token: string): Promise<GatewayTokenCheck> {
    return this.gatewayTokens.check(token);
  }

  async revokeGatewayTokens(gatewayId: string, actor?: string, id?: string): Promise<number> {
    const revoked = await this.gatewayTokens.revoke(gatewayId, id);
    await this.auditGatewayTokens(
      actor,
      'gateway_token.revoke',
      gatewayId,
      { validTokens: revoked, ...(id !== undefined ? { tokenId: id } : {}) },
      { revoked },
    );
    return revoked;
  }

  async rotateGatewayToken(
    gatewayId: string,
    rotation: Rotation,
    actor?: string,
  ): Promise<{ token: string; oldValidUntil: string }> {
    const rotated = await this.gatewayTokens.rotate(gatewayId, rotation);
    await this.auditGatewayTokens(actor, 'gateway_token.rotate', gatewayId, undefined, {
      tokenPrefix: tokenPrefix(rotated.token),
      oldValidUntil: rotated.oldValidUntil,
      ...(rotation.sites ? { sites: [...rotation.sites] } : {}),
    });
    return rotated;
  }

  async bindGatewaySites(gatewayId: string, sites: readonly string[], actor?: string): Promise<number> {
    const bound = await this.gatewayTokens.bindSites(gatewayId, sites);
    await this.auditGatewayTokens(actor, 'gateway_token.sites_change', gatewayId, undefined, {
      sites: [...sites],
      tokens: bound,
    });
    return bound;
  }

  /** Token changes are made by gateway-tokens.ts in its own transaction; the audit entry follows it. */
  private async auditGatewayTokens(
    actor: string | undefined,
    action: string,
    gatewayId: string,
    before: Record<string, unknown> | undefined,
    after: Record<string, unknown>,
  ): Promise<void> {
    if (actor === undefined) return;
    await recordAdminChange(this.db, {
      actor,
      action,
      target: `gateway:${gatewayId}`,
      ...(before ? { before } : {}),
      after,
    });
  }

  listGatewayTokens(): Promise<GatewayTokenInfo[]> {
    return this.gatewayTokens.list();
  }

  /** Returns the password in clear (the given or the generated one): it is not stored anywhere. */
  /** With an actor, the creation is written to the admin audit log in the same transaction. */
  async createUser(input: NewUser, actor?: string): Promise<{ password: string }> {
    checkUsername(input.username);
    checkRole(input.role);
    checkSites(input.sites);
    const password = input.password ?? generatePassword();
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    const createdAt = now();
    await this.db.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO users (username, role, sites, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO NOTHING`,
        [input.username, input.role, encodeSites(input.sites), passwordHash, createdAt],
      );
      if (inserted === 0) throw new UserExistsError(input.username);
      if (actor !== undefined) {
        await recordAdminChange(tx, {
          actor,
          at: createdAt,
          action: 'user.create',
          target: `user:${input.username}`,
          // The password field says one was set; its value never reaches the log (redacted).
          after: { username: input.username, role: input.role, sites: input.sites, password },
        });
      }
    });
    return { password };
  }

  /** With an actor, the change is written to the admin audit log in the same transaction. */
  async updateUser(username: string, changes: UserChanges, actor?: string): Promise<void> {
    if (changes.role !== undefined) checkRole(changes.role);
    if (changes.sites !== undefined) checkSites(changes.sites);
    if (changes.password !== undefined) checkPassword(changes.password);
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    const at = now();
    await this.db.transaction(async (tx) => {
      const before = await tx.get<Pick<UserRow, 'role' | 'sites' | 'disabled_at'>>(
        'SELECT role, sites, disabled_at FROM users WHERE username = ?',
        [username],
      );
      if (!before) throw new UnknownUserError(username);
      const sets: string[] = [];
      const params: SqlValue[] = [];
      const set = (assignment: string, ...values: SqlValue[]) => {
        sets.push(assignment);
        params.push(...values);
      };
      if (changes.role !== undefined) set('role = ?', changes.role);
      if (changes.sites !== undefined) set('sites = ?', encodeSites(changes.sites));
      if (changes.disabled === true) set('disabled_at = coalesce(disabled_at, ?)', at);
      if (changes.disabled === false) set('disabled_at = NULL');
      if (passwordHash !== undefined) set('password_hash = ?', passwordHash);
      if (sets.length > 0)
        await tx.run(`UPDATE users SET ${sets.join(', ')} WHERE username = ?`, [...params, username]);
      if (changes.disabled === true) await revokeTokens(tx, username, at);
      else if (passwordHash !== undefined) await revokeTokens(tx, username, at, 'session');
      const wasActiveAdmin = before.role === 'admin' && before.disabled_at === null;
      if (wasActiveAdmin && (await activeAdmins(tx)) === 0) throw new LastAdminError(username);
      if (actor !== undefined) await auditUserUpdate(tx, { actor, at, username, before, changes });
    });
  }

  async listUsers(): Promise<UserInfo[]> {
    const rows = await this.db.all<UserRow>(
      'SELECT username, role, sites, created_at, disabled_at FROM users ORDER BY username',
    );
    return rows.map((row) => ({
      ...toUser(row),
      createdAt: row.created_at,
      ...(row.disabled_at ? { disabledAt: row.disabled_at } : {}),
    }));
  }

  /** undefined for an unknown user, a wrong password or a disabled user alike. */
  async login(username: string, password: string, ttlMs = SESSION_TTL_MS): Promise<Session | undefined> {
    const row = await this.db.get<UserRow>(
      'SELECT username, role, sites, password_hash, disabled_at FROM users WHERE username = ?',
      [username],
    );
    const valid = row
      ? await verifyPassword(password, row.password_hash)
      : await verifyAgainstDummy(password);
    if (!row || !valid || row.disabled_at !== null) return undefined;
    const token = newToken('session');
    const createdAt = now();
    const expiresAt = new Date(Date.parse(createdAt) + ttlMs).toISOString();
    await this.db.transaction(async (tx) => {
      // Expired sessions are dead weight; dropping them at each login keeps the table at the size of
      // the sessions in use.
      await tx.run("DELETE FROM user_tokens WHERE username = ? AND kind = 'session' AND expires_at <= ?", [
        username,
        createdAt,
      ]);
      await insertToken(tx, { token, username, kind: 'session', label: 'login', createdAt, expiresAt });
    });
    return { token, expiresAt, user: toUser(row) };
  }

  async logout(token: string): Promise<void> {
    await this.db.run(
      "UPDATE user_tokens SET revoked_at = ? WHERE token_hash = ? AND kind = 'session' AND revoked_at IS NULL",
      [now(), hashToken(token)],
    );
  }

  /** A token for scripts and integrations: no expiry, revoked with revokeUserTokens. Shown once. */
  async createApiToken(username: string, label: string, actor?: string): Promise<string> {
    checkLabel(label);
    const token = newToken('api');
    await this.db.transaction(async (tx) => {
      const user = await tx.get<Pick<UserRow, 'disabled_at'>>(
        'SELECT disabled_at FROM users WHERE username = ?',
        [username],
      );
      if (!user) throw new UnknownUserError(username);
      if (user.disabled_at !== null) {
        throw new InvalidUserError(
          `user '${username}' is disabled; enable it first (\`plantwatch cloud users set ${username} --enable\`)`,
        );
      }
      const createdAt = now();
      await insertToken(tx, { token, username, kind: 'api', label, createdAt });
      if (actor !== undefined) {
        await recordAdminChange(tx, {
          actor,
          at: createdAt,
          action: 'user.api_token_create',
          target: `user:${username}`,
          after: { label, tokenPrefix: tokenPrefix(token) },
        });
      }
    });
    return token;
  }

  /** Revokes every session and API token of the user; returns how many were still valid. */
  async revokeUserTokens(username: string, actor?: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const user = await tx.get('SELECT 1 AS found FROM users WHERE username = ?', [username]);
      if (!user) throw new UnknownUserError(username);
      const at = now();
      const revoked = await revokeTokens(tx, username, at);
      if (actor !== undefined) {
        await recordAdminChange(tx, {
          actor,
          at,
          action: 'user.tokens_revoke',
          target: `user:${username}`,
          before: { validTokens: revoked },
          after: { validTokens: 0 },
        });
      }
      return revoked;
    });
  }

  /**
   * Why username may not be given a ticket of site, or undefined when they may: they must exist,
   * be enabled and see the site. Messages name the user and the site, for a 400 or a log line.
   */
  async assigneeProblem(username: string, site: string): Promise<string | undefined> {
    const row = await this.db.get<Pick<UserRow, 'sites' | 'disabled_at'>>(
      'SELECT sites, disabled_at FROM users WHERE username = ?',
      [username],
    );
    if (!row) return `unknown user '${username}'; assign an existing user (GET /api/v1/users lists them)`;
    if (row.disabled_at !== null)
      return `user '${username}' is disabled; enable them first or assign someone else`;
    const sites = decodeSites(row.sites);
    if (sites !== 'all' && !sites.includes(site)) {
      return `user '${username}' cannot see site ${site} (their sites: ${sites.join(', ')}); give them the site first or assign someone else`;
    }
    return undefined;
  }

  /**
   * The user behind a session or API token, if the token is neither revoked nor expired and the
   * user is enabled. Runs on every API request: one indexed lookup, and a write at most once a minute.
   */
  async userForToken(token: string): Promise<AuthenticatedUser | undefined> {
    if (isGatewayToken(token)) return undefined;
    const tokenHash = hashToken(token);
    const at = now();
    const row = await this.db.get<
      Pick<UserRow, 'username' | 'role' | 'sites'> & { last_used_at: string | null }
    >(
      `SELECT u.username, u.role, u.sites, t.last_used_at
       FROM user_tokens t JOIN users u ON u.username = t.username
       WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
         AND u.disabled_at IS NULL`,
      [tokenHash, at],
    );
    if (!row) return undefined;
    if (
      row.last_used_at === null ||
      Date.parse(at) - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS
    ) {
      await this.db.run('UPDATE user_tokens SET last_used_at = ? WHERE token_hash = ?', [at, tokenHash]);
    }
    return toUser(row);
  }
}

async function insertToken(
  tx: SqlExecutor,
  t: {
    token: string;
    username: string;
    kind: 'session' | 'api';
    label: string;
    createdAt: string;
    expiresAt?: string;
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO user_tokens (token_hash, username, kind, label, token_prefix, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [hashToken(t.token), t.username, t.kind, t.label, tokenPrefix(t.token), t.createdAt, t.expiresAt ?? null],
  );
}

async function revokeTokens(
  tx: SqlExecutor,
  username: string,
  at: string,
  kind?: 'session' | 'api',
): Promise<number> {
  // Expired sessions are left alone, so the count is of tokens that still worked.
  return tx.run(
    `UPDATE user_tokens SET revoked_at = ?
     WHERE username = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)${kind ? ' AND kind = ?' : ''}`,
    kind ? [at, username, at, kind] : [at, username, at],
  );
}

/** The audit entry of a user change: the action names what changed when it is one thing. */
async function auditUserUpdate(
  tx: SqlExecutor,
  u: {
    actor: string;
    at: string;
    username: string;
    before: Pick<UserRow, 'role' | 'sites' | 'disabled_at'>;
    changes: UserChanges;
  },
): Promise<void> {
  const { changes, before } = u;
  const kinds = [
    changes.role !== undefined ? 'user.role_change' : undefined,
    changes.sites !== undefined ? 'user.sites_change' : undefined,
    changes.disabled === true ? 'user.disable' : changes.disabled === false ? 'user.enable' : undefined,
    changes.password !== undefined ? 'user.password_reset' : undefined,
  ].filter((k): k is string => k !== undefined);
  const state = (role: string, sites: UserSites, disabled: boolean) => ({ role, sites, disabled });
  const wasDisabled = before.disabled_at !== null;
  const beforeSites = decodeSites(before.sites);
  await recordAdminChange(tx, {
    actor: u.actor,
    at: u.at,
    action: kinds.length === 1 ? kinds[0]! : 'user.update',
    target: `user:${u.username}`,
    before: {
      ...state(before.role, beforeSites, wasDisabled),
      ...(changes.password ? { password: 'old' } : {}),
    },
    after: {
      ...state(changes.role ?? before.role, changes.sites ?? beforeSites, changes.disabled ?? wasDisabled),
      ...(changes.password !== undefined ? { password: changes.password } : {}),
    },
  });
}

async function activeAdmins(tx: SqlExecutor): Promise<number> {
  const row = await tx.get<{ n: number }>(
    "SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL",
  );
  return row?.n ?? 0;
}
