import { userInfo } from 'node:os';
import type { AdminAuditEntry, AdminAuditPage } from '../../shared/schema/audit.js';
import type { SqlExecutor, SqlValue } from '../store/sql-database.js';
import { redactSecrets } from './redact.js';

/** One administrative change, as a module reports it. */
export interface AdminChange {
  /** A username, `cli:<os user>`, or a module (`import`); never a secret. */
  actor: string;
  /** `<what>.<verb>`: user.create, gateway_token.revoke, routing.replace, ... */
  action: string;
  /** `<kind>:<id>`: user:alice, gateway:gw-1, webhook:3, routing, ... */
  target: string;
  /** The state before; leave out for a creation. Secrets are redacted on the way in. */
  before?: unknown;
  /** The state after; leave out for a deletion. Secrets are redacted on the way in. */
  after?: unknown;
  /** Default: now. */
  at?: string;
}

export interface AdminAuditFilter {
  actor?: string;
  /** An action, or a prefix ending in `.` (`user.`) for every action on one kind of thing. */
  action?: string;
  target?: string;
  /** ISO times: at or after since, before until. */
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** The actor of a command run on the cloud host: `cli:<os user>`. */
export function cliActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (a container run with a bare uid): the environment is all there is.
    name = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
  return `cli:${name}`;
}

const json = (value: unknown): string | null =>
  value === undefined ? null : JSON.stringify(redactSecrets(value));

/**
 * Writes one entry of the admin audit log. Call it with the transaction that makes the change,
 * where there is one, so the change and its entry commit together or not at all.
 */
export async function recordAdminChange(executor: SqlExecutor, change: AdminChange): Promise<void> {
  await executor.run(
    'INSERT INTO admin_audit (at, actor, action, target, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?)',
    [
      change.at ?? new Date().toISOString(),
      change.actor,
      change.action,
      change.target,
      json(change.before),
      json(change.after),
    ],
  );
}

/**
 * Where rule and edge-config changes will be audited once the cloud manages them (today rules and
 * configs are files on the gateways): the module that accepts them calls this in its transaction.
 */
export const recordRuleOrConfigChange = (
  executor: SqlExecutor,
  change: Omit<AdminChange, 'action'> & { action: `rules.${string}` | `config.${string}` },
): Promise<void> => recordAdminChange(executor, change);

interface AuditRow {
  id: number | string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before_json: string | null;
  after_json: string | null;
}

const encodeCursor = (id: number): string => Buffer.from(`a${id}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = /^a(\d{1,15})$/.exec(text)?.[1];
  if (id === undefined)
    throw new RangeError('cursor is not one this server gave out; start again without it');
  return Number(id);
}

const toEntry = (row: AuditRow): AdminAuditEntry => ({
  id: Number(row.id),
  at: row.at,
  actor: row.actor,
  action: row.action,
  target: row.target,
  ...(row.before_json !== null ? { before: JSON.parse(row.before_json) as unknown } : {}),
  ...(row.after_json !== null ? { after: JSON.parse(row.after_json) as unknown } : {}),
});

/** Reads the admin audit log, newest first, a keyset page at a time. */
export class AdminAuditLog {
  constructor(private readonly db: SqlExecutor) {}

  record(change: AdminChange): Promise<void> {
    return recordAdminChange(this.db, change);
  }

  /** Throws RangeError for a cursor this server did not give out. */
  async list(filter: AdminAuditFilter): Promise<AdminAuditPage> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (sql: string, ...values: SqlValue[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.action !== undefined) {
      if (filter.action.endsWith('.')) add('substr(action, 1, ?) = ?', filter.action.length, filter.action);
      else add('action = ?', filter.action);
    }
    if (filter.target !== undefined) add('target = ?', filter.target);
    if (filter.since !== undefined) add('at >= ?', new Date(filter.since).toISOString());
    if (filter.until !== undefined) add('at < ?', new Date(filter.until).toISOString());
    if (filter.cursor !== undefined) add('id < ?', decodeCursor(filter.cursor));
    const rows = await this.db.all<AuditRow>(
      `SELECT id, at, actor, action, target, before_json, after_json FROM admin_audit
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      [...params, filter.limit + 1],
    );
    const entries = rows.slice(0, filter.limit).map(toEntry);
    const last = entries.at(-1);
    return {
      entries,
      ...(rows.length > filter.limit && last ? { nextCursor: encodeCursor(last.id) } : {}),
    };
  }
}
