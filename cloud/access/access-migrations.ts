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

/**
 * Users, sessions and API tokens (gateway_tokens is in the core migrations). users.sites is a JSON
 * array of site ids, or '*' for all sites. Timestamps are ISO 8601 text, which sorts as time does.
 */
export const accessMigrations: readonly Migration[] = [
  { id: 'access-1', sqlite: usersAndTokens(' STRICT'), postgres: usersAndTokens('') },
];
