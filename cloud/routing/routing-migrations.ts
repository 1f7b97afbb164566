import type { Migration } from '../store/sql-database.js';

const tables = (bigint: string) => `
  CREATE TABLE routing_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
  )%STRICT%;
  CREATE TABLE routing_escalations (
    ticket_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    rule TEXT NOT NULL,
    skill TEXT,
    severity TEXT NOT NULL,
    level INTEGER NOT NULL DEFAULT 0,
    deadline_at TEXT NOT NULL,
    tried TEXT NOT NULL DEFAULT '[]',
    done INTEGER NOT NULL DEFAULT 0
  )%STRICT%;
  CREATE INDEX routing_escalations_due ON routing_escalations (done, deadline_at);
  CREATE TABLE routing_engineers (
    username TEXT PRIMARY KEY,
    last_assigned_at TEXT NOT NULL
  )%STRICT%;
  CREATE TABLE routing_counts (
    name TEXT PRIMARY KEY,
    count ${bigint} NOT NULL
  )%STRICT%;`;

/** The routing module's tables. Ids are never reused; append, never edit. */
export const routingMigrations: readonly Migration[] = [
  {
    id: 'routing-1',
    sqlite: tables('INTEGER').replaceAll('%STRICT%', ' STRICT'),
    postgres: tables('BIGINT').replaceAll('%STRICT%', ''),
  },
];
