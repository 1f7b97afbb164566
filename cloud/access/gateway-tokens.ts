import { SITE_ID_PATTERN } from '../../shared/schema/access.js';
import type { SqlDatabase, SqlExecutor } from '../store/sql-database.js';
import { hashToken, isGatewayToken, newToken, tokenPrefix } from './secrets.js';

/**
 * Gateway tokens: each bound to one gateway and the sites it may write, optionally expiring,
 * rotated without downtime (the old token lives on until its grace ends). Only the SHA-256 of a
 * token is stored; its id is the first 12 hex digits of that hash, enough to name it in a listing
 * and useless for guessing a 256-bit secret.
 */

/** How the token came by its sites: given by an operator, or derived by the upgrade (access-2). */
export type SitesFrom = 'operator' | 'upgrade';

export interface GatewayTokenInfo {
  id: string;
  gatewayId: string;
  tokenPrefix: string;
  sites: string[];
  sitesFrom: SitesFrom;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** Who a valid gateway token speaks for. */
export interface GatewayIdentity {
  gatewayId: string;
  sites: readonly string[];
  tokenId: string;
}

export type GatewayTokenCheck =
  | { valid: true; gateway: GatewayIdentity }
  | { valid: false; problem: 'unknown' | 'revoked' }
  | { valid: false; problem: 'expired'; gatewayId: string; expiredAt: string };

export interface NewGatewayToken {
  sites: readonly string[];
  /** Omitted: the token is valid until revoked. */
  expiresInMs?: number;
}

export interface Rotation {
  /** Rebind to these sites; omitted: the sites of the tokens it replaces. */
  sites?: readonly string[];
  expiresInMs?: number;
  /** How long the tokens it replaces stay valid. */
  graceMs: number;
}

/** A day: time to roll the new token out to the gateway before the old one stops working. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

/** last_used_at is a hint for operators ("is this token still used?"): a minute is fine. */
const LAST_USED_RESOLUTION_MS = 60_000;

const GATEWAY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SITE_ID = new RegExp(SITE_ID_PATTERN);

/** A gateway token request that cannot be carried out (bad id, no sites, nothing to rotate). */
export class GatewayTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayTokenError';
  }
}

export const tokenId = (tokenHash: string): string => tokenHash.slice(0, 12);

function checkGatewayId(gatewayId: string): void {
  if (!GATEWAY_ID.test(gatewayId)) {
    throw new GatewayTokenError(
      `gateway id '${gatewayId}' may contain only letters, digits, _ . - (1 to 64 characters)`,
    );
  }
}

function checkSites(gatewayId: string, sites: readonly string[]): string[] {
  const unique = [...new Set(sites)];
  if (unique.length === 0) {
    throw new GatewayTokenError(
      `a token of gateway '${gatewayId}' needs the sites it may write: give --site <site> once per site`,
    );
  }
  const bad = unique.find((site) => !SITE_ID.test(site));
  if (bad !== undefined) {
    throw new GatewayTokenError(
      `site id '${bad}' may contain only letters, digits, _ . - (1 to 64 characters)`,
    );
  }
  return unique;
}

interface TokenRow {
  token_hash: string;
  gateway_id: string;
  token_prefix: string;
  sites: string | null;
  sites_from: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const TOKEN_COLUMNS =
  'token_hash, gateway_id, token_prefix, sites, sites_from, created_at, expires_at, last_used_at, revoked_at';

const decodeSites = (stored: string | null): string[] => (stored ? (JSON.parse(stored) as string[]) : []);

const toInfo = (r: TokenRow): GatewayTokenInfo => ({
  id: tokenId(r.token_hash),
  gatewayId: r.gateway_id,
  tokenPrefix: r.token_prefix,
  sites: decodeSites(r.sites),
  sitesFrom: r.sites_from === 'upgrade' ? 'upgrade' : 'operator',
  createdAt: r.created_at,
  ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
  ...(r.last_used_at ? { lastUsedAt: r.last_used_at } : {}),
  ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
});

const isValidAt = (r: TokenRow, at: string): boolean =>
  r.revoked_at === null && (r.expires_at === null || r.expires_at > at);

const addMs = (at: string, ms: number): string => new Date(Date.parse(at) + ms).toISOString();

async function insertGatewayToken(
  tx: SqlExecutor,
  gatewayId: string,
  sites: readonly string[],
  sitesFrom: SitesFrom,
  createdAt: string,
  expiresAt: string | null,
): Promise<string> {
  const token = newToken('gateway');
  await tx.run(
    `INSERT INTO gateway_tokens (token_hash, gateway_id, token_prefix, sites, sites_from, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [hashToken(token), gatewayId, tokenPrefix(token), JSON.stringify(sites), sitesFrom, createdAt, expiresAt],
  );
  return token;
}

export class GatewayTokens {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Returns the new token in clear: it is shown once and only its hash is stored. */
  async create(gatewayId: string, options: NewGatewayToken): Promise<string> {
    checkGatewayId(gatewayId);
    const sites = checkSites(gatewayId, options.sites);
    const at = this.now().toISOString();
    const expiresAt = options.expiresInMs === undefined ? null : addMs(at, options.expiresInMs);
    return insertGatewayToken(this.db, gatewayId, sites, 'operator', at, expiresAt);
  }

  /**
   * Runs on every ingest and telemetry request: one indexed read, and a write at most once a
   * minute per token.
   */
  async check(token: string): Promise<GatewayTokenCheck> {
    if (!isGatewayToken(token)) return { valid: false, problem: 'unknown' };
    const tokenHash = hashToken(token);
    const row = await this.db.get<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM gateway_tokens WHERE token_hash = ?`,
      [tokenHash],
    );
    if (!row) return { valid: false, problem: 'unknown' };
    if (row.revoked_at !== null) return { valid: false, problem: 'revoked' };
    const at = this.now().toISOString();
    if (row.expires_at !== null && row.expires_at <= at) {
      return { valid: false, problem: 'expired', gatewayId: row.gateway_id, expiredAt: row.expires_at };
    }
    if (
      row.last_used_at === null ||
      Date.parse(at) - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS
    ) {
      await this.db.run('UPDATE gateway_tokens SET last_used_at = ? WHERE token_hash = ?', [at, tokenHash]);
    }
    return {
      valid: true,
      gateway: { gatewayId: row.gateway_id, sites: decodeSites(row.sites), tokenId: tokenId(tokenHash) },
    };
  }

  /**
   * A new token for the gateway, with the sites of its valid tokens (or the given ones); those stay
   * valid for the grace period, so the gateway can be given the new one without a gap.
   */
  async rotate(gatewayId: string, rotation: Rotation): Promise<{ token: string; oldValidUntil: string }> {
    checkGatewayId(gatewayId);
    const at = this.now().toISOString();
    return this.db.transaction(async (tx) => {
      const current = (
        await tx.all<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM gateway_tokens WHERE gateway_id = ?`, [
          gatewayId,
        ])
      ).filter((r) => isValidAt(r, at));
      if (current.length === 0) {
        throw new GatewayTokenError(
          `gateway '${gatewayId}' has no valid token to rotate; create one with \`plantwatch cloud tokens create ${gatewayId} --site <site>\``,
        );
      }
      const sites = checkSites(gatewayId, rotation.sites ?? current.flatMap((r) => decodeSites(r.sites)));
      const sitesFrom: SitesFrom =
        rotation.sites === undefined && current.some((r) => r.sites_from === 'upgrade')
          ? 'upgrade'
          : 'operator';
      const oldValidUntil = addMs(at, rotation.graceMs);
      // Never lengthens an old token's life: one expiring before the grace ends keeps its expiry.
      await tx.run(
        `UPDATE gateway_tokens SET expires_at = ?
           WHERE gateway_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
        [oldValidUntil, gatewayId, oldValidUntil],
      );
      const expiresAt = rotation.expiresInMs === undefined ? null : addMs(at, rotation.expiresInMs);
      const token = await insertGatewayToken(tx, gatewayId, sites, sitesFrom, at, expiresAt);
      return { token, oldValidUntil };
    });
  }

  /** Binds every unrevoked token of the gateway to these sites; returns how many. */
  async bindSites(gatewayId: string, sites: readonly string[]): Promise<number> {
    checkGatewayId(gatewayId);
    const checked = checkSites(gatewayId, sites);
    const n = await this.db.run(
      `UPDATE gateway_tokens SET sites = ?, sites_from = 'operator' WHERE gateway_id = ? AND revoked_at IS NULL`,
      [JSON.stringify(checked), gatewayId],
    );
    if (n === 0) {
      throw new GatewayTokenError(
        `gateway '${gatewayId}' has no unrevoked token; create one with \`plantwatch cloud tokens create ${gatewayId} --site <site>\``,
      );
    }
    return n;
  }

  /** Revokes every token of the gateway, or only the one with this id; returns how many were revoked. */
  async revoke(gatewayId: string, id?: string): Promise<number> {
    const at = this.now().toISOString();
    if (id === undefined) {
      return this.db.run(
        'UPDATE gateway_tokens SET revoked_at = ? WHERE gateway_id = ? AND revoked_at IS NULL',
        [at, gatewayId],
      );
    }
    if (!/^[0-9a-f]{12}$/.test(id)) {
      throw new GatewayTokenError(
        `token id '${id}' is 12 hex digits, as \`plantwatch cloud tokens list\` shows`,
      );
    }
    return this.db.run(
      `UPDATE gateway_tokens SET revoked_at = ?
         WHERE gateway_id = ? AND revoked_at IS NULL AND substr(token_hash, 1, 12) = ?`,
      [at, gatewayId, id],
    );
  }

  async list(): Promise<GatewayTokenInfo[]> {
    const rows = await this.db.all<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM gateway_tokens ORDER BY gateway_id, created_at, token_hash`,
    );
    return rows.map(toInfo);
  }

  /** Valid tokens still on the sites the upgrade gave them: an operator should bind them. */
  async boundByUpgrade(): Promise<GatewayTokenInfo[]> {
    const at = this.now().toISOString();
    const rows = await this.db.all<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM gateway_tokens WHERE sites_from = 'upgrade' AND revoked_at IS NULL
         ORDER BY gateway_id, created_at`,
    );
    return rows.filter((r) => isValidAt(r, at)).map(toInfo);
  }
}

/** What to tell an operator about a token the upgrade bound: what it may write and how to bind it. */
export const upgradeBindingWarning = (t: GatewayTokenInfo): string =>
  `gateway token ${t.id} of '${t.gatewayId}' predates site binding and may write only ` +
  (t.sites.length > 0
    ? `the sites its gateway had written (${t.sites.join(', ')})`
    : 'no site (its gateway had written none)') +
  `; bind it explicitly with \`plantwatch cloud tokens sites ${t.gatewayId} --site <site> [--site ...]\``;
