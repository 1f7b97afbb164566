import type { Migration } from '../store/sql-database.js';

/** The bus module's tables. Ids are never reused; append, never edit. */
export const busMigrations: readonly Migration[] = [
  {
    // The secret is kept as is: an HMAC needs the key itself to sign each delivery. Delivery
    // counters live here rather than in memory so every instance reports the same health.
    id: 'bus-1',
    sqlite: `
      CREATE TABLE webhook_subscriptions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT UNIQUE,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        sites TEXT,
        types TEXT,
        description TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_delivered_at TEXT
      ) STRICT;`,
    postgres: `
      CREATE TABLE webhook_subscriptions (
        id BIGSERIAL PRIMARY KEY,
        name TEXT UNIQUE,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        sites TEXT,
        types TEXT,
        description TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        delivered BIGINT NOT NULL DEFAULT 0,
        failures BIGINT NOT NULL DEFAULT 0,
        consecutive_failures BIGINT NOT NULL DEFAULT 0,
        last_error TEXT,
        last_delivered_at TEXT
      );`,
  },
];
