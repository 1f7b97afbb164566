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

/**
 * An escalation paused while the ticket's condition is cleared and it is still new; and the
 * overdue escalation of open tickets past their due date, one row per ticket once it started.
 */
const pausedAndOverdue = `
  ALTER TABLE routing_escalations ADD COLUMN paused_at TEXT;
  CREATE TABLE routing_overdue (
    ticket_id TEXT PRIMARY KEY,
    level INTEGER NOT NULL,
    next_at TEXT NOT NULL,
    tried TEXT NOT NULL DEFAULT '[]',
    done INTEGER NOT NULL DEFAULT 0
  )%STRICT%;
  CREATE INDEX tickets_by_due ON tickets (due_at);`;

/** The routing module's tables. Ids are never reused; append, never edit. */
export const routingMigrations: readonly Migration[] = [
  {
    id: 'routing-1',
    sqlite: tables('INTEGER').replaceAll('%STRICT%', ' STRICT'),
    postgres: tables('BIGINT').replaceAll('%STRICT%', ''),
  },
  {
    id: 'routing-2-paused-overdue',
    sqlite: pausedAndOverdue.replaceAll('%STRICT%', ' STRICT'),
    postgres: pausedAndOverdue.replaceAll('%STRICT%', ''),
  },
];
