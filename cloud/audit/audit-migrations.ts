import type { Migration } from '../store/sql-database.js';

const adminAudit = (id: string, strict: string): string => `
  CREATE TABLE admin_audit (
    id ${id},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
  )${strict};
  CREATE INDEX admin_audit_by_actor ON admin_audit (actor, id);
  CREATE INDEX admin_audit_by_target ON admin_audit (target, id);
  CREATE INDEX admin_audit_by_at ON admin_audit (at);`;

/**
 * The admin audit log: append-only, read newest first by id (the keyset of its cursor). Not the
 * per-ticket trail (ticket_audit), which records what people did to one ticket.
 */
export const auditMigrations: readonly Migration[] = [
  {
    id: 'audit-1',
    sqlite: adminAudit('INTEGER PRIMARY KEY AUTOINCREMENT', ' STRICT'),
    postgres: adminAudit('BIGSERIAL PRIMARY KEY', ''),
  },
];
