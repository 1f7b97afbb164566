import type { Migration } from '../store/sql-database.js';

/** The notify module's tables. Ids are never reused; append, never edit. */
export const notifyMigrations: readonly Migration[] = [
  {
    id: 'notify-1',
    sqlite: `
      CREATE TABLE notify_preferences (
        username TEXT PRIMARY KEY,
        preferences TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('file', 'api')),
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL,
        channel_key TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        state_key TEXT NOT NULL,
        change_type TEXT NOT NULL,
        severity TEXT NOT NULL,
        subject TEXT NOT NULL,
        reason TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('single', 'digest')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        created_at TEXT NOT NULL,
        deliver_after TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at TEXT
      ) STRICT;
      CREATE UNIQUE INDEX notifications_once ON notifications (username, channel_key, ticket_id, state_key);
      CREATE INDEX notifications_due ON notifications (status, deliver_after);
      CREATE INDEX notifications_user ON notifications (username, id);
    `,
    postgres: `
      CREATE TABLE notify_preferences (
        username TEXT PRIMARY KEY,
        preferences TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('file', 'api')),
        updated_at TEXT NOT NULL
      );
      CREATE TABLE notifications (
        id BIGSERIAL PRIMARY KEY,
        username TEXT NOT NULL,
        channel_key TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        state_key TEXT NOT NULL,
        change_type TEXT NOT NULL,
        severity TEXT NOT NULL,
        subject TEXT NOT NULL,
        reason TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('single', 'digest')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        created_at TEXT NOT NULL,
        deliver_after TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at TEXT
      );
      CREATE UNIQUE INDEX notifications_once ON notifications (username, channel_key, ticket_id, state_key);
      CREATE INDEX notifications_due ON notifications (status, deliver_after);
      CREATE INDEX notifications_user ON notifications (username, id);
    `,
  },
];
