import { AccessStore } from './access/access-store.js';
import { AdminAuditLog } from './audit/admin-audit.js';
import type { SqlDatabase } from './store/sql-database.js';
import { IngestStore } from './tickets/ingest-store.js';
import { ReviewStore } from './tickets/review-store.js';
import { ChangeFeed, ChangeSignal } from './tickets/ticket-changes.js';

/** The cloud's persistence, one part per job, over one database (SQLite file or PostgreSQL). */
export interface CloudStore {
  database: SqlDatabase;
  ingest: IngestStore;
  review: ReviewStore;
  access: AccessStore;
  /** The admin audit log: who changed users, tokens, routing, webhooks... (not the ticket trail). */
  audit: AdminAuditLog;
  /** Every ticket change in order: for the event bus, routing and notifications. */
  changes: ChangeFeed;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The stores over a database already migrated (see open-cloud-store.ts). */
export function cloudStoreOver(database: SqlDatabase): CloudStore {
  const signal = new ChangeSignal();
  return {
    database,
    ingest: new IngestStore(database, signal),
    review: new ReviewStore(database, signal),
    access: new AccessStore(database),
    audit: new AdminAuditLog(database),
    changes: new ChangeFeed(database, signal),
    ping: async () => {
      await database.get('SELECT 1 AS ok');
    },
    close: () => database.close(),
  };
}
