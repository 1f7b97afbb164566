import type { Migration } from '../store/sql-database.js';

const usersAndTokens = (strict: string): string => `
  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    sites TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
  )${strict};
  CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username),
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    token_prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
  )${strict};
  CREATE INDEX user_tokens_by_user ON user_tokens (username, kind);`;

const gatewayTokenColumns = `
  ALTER TABLE gateway_tokens ADD COLUMN sites TEXT;
  ALTER TABLE gateway_tokens ADD COLUMN sites_from TEXT;
  ALTER TABLE gateway_tokens ADD COLUMN expires_at TEXT;
  ALTER TABLE gateway_tokens ADD COLUMN last_used_at TEXT;
  CREATE INDEX gateway_tokens_by_gateway ON gateway_tokens (gateway_id);`;

const rateLimitWindows = (strict: string, integer: string): string => `
  CREATE TABLE rate_limit_windows (
    key TEXT PRIMARY KEY,
    window_start ${integer} NOT NULL,
    hits ${integer} NOT NULL
  )${strict};`;

/**
 * Users, sessions and API tokens (gateway_tokens is in the core migrations). users.sites is a JSON
 * array of site ids, or '*' for all sites. Timestamps are ISO 8601 text, which sorts as time does.
 */
export const accessMigrations: readonly Migration[] = [
  { id: 'access-1', sqlite: usersAndTokens(' STRICT'), postgres: usersAndTokens('') },
  {
    // A gateway token is bound to the sites it may write (JSON array). Tokens from before were
    // bound to nothing: each keeps exactly the sites its gateway had raised tickets for (none if it
    // had raised none), marked sites_from = 'upgrade' so startup and `tokens list` say how to bind
    // it explicitly. Never wider than what the gateway already wrote.
    id: 'access-2-gateway-token-sites',
    sqlite: `${gatewayTokenColumns}
      UPDATE gateway_tokens SET sites_from = 'upgrade', sites = coalesce(
        (SELECT json_group_array(DISTINCT t.site) FROM tickets t WHERE t.gateway_id = gateway_tokens.gateway_id),
        '[]');`,
    postgres: `${gatewayTokenColumns}
      UPDATE gateway_tokens SET sites_from = 'upgrade', sites = coalesce(
        (SELECT json_agg(DISTINCT t.site)::text FROM tickets t WHERE t.gateway_id = gateway_tokens.gateway_id),
        '[]');`,
  },
  {
    // Fixed-window counters the rate limits share across instances (used on PostgreSQL only).
    id: 'access-3-rate-limit-windows',
    sqlite: rateLimitWindows(' STRICT', 'INTEGER'),
    postgres: rateLimitWindows('', 'BIGINT'),
  },
];
