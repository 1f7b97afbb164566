import { EventEmitter } from 'node:events';
import {
  TICKET_CHANGE_SCHEMA,
  type TicketChange,
  type TicketChangePage,
  type TicketChangeSubject,
  type TicketChangeType,
  type TicketView,
} from '../../shared/schema/index.js';
import {
  placeholders,
  rowPlaceholders,
  type SqlDatabase,
  type SqlExecutor,
  type SqlValue,
} from '../store/sql-database.js';

/** A change about to be logged, with the ticket as it is after it. */
export interface NewTicketChange {
  type: TicketChangeType;
  at: string;
  actor: string;
  ticket: TicketChangeSubject;
  detail: Record<string, unknown>;
}

export const changeSubject = (view: TicketView): TicketChangeSubject => ({
  id: view.id,
  site: view.site,
  assetId: view.assetId,
  gatewayId: view.gatewayId,
  fault: view.fault,
  severity: view.severity,
  status: view.status,
  title: view.title,
  ruleId: view.rule.id,
  ruleVersion: view.rule.version,
  openedAt: view.firstSeen,
  dueAt: view.dueAt,
  predicted: view.prediction !== undefined,
  ...(view.assignee ? { assignee: view.assignee } : {}),
  ...(view.historical ? { historical: true } : {}),
  ...(view.workOrder ? { workOrderId: view.workOrder.externalId } : {}),
});

/** Held by each transaction that appends, on PostgreSQL, until it commits. */
const CHANGE_LOG_LOCK = 7_402_914;

/**
 * Appends to the change log inside the caller's transaction, so a change is logged if and only if
 * it happened. Readers learn of it from the ChangeSignal after the commit, or by polling.
 */
export async function appendTicketChanges(
  tx: SqlExecutor,
  changes: readonly NewTicketChange[],
): Promise<void> {
  if (changes.length === 0) return;
  // PostgreSQL hands out BIGSERIAL ids at insert but transactions commit in any order: a reader
  // could see id 11 before 10 commits, save 11 as its cursor and never see 10. Appenders take
  // turns from here to their commit, so ids become visible in order. (SQLite writers already do.)
  if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(?)', [CHANGE_LOG_LOCK]);
  for (let i = 0; i < changes.length; i += 500) {
    const chunk = changes.slice(i, i + 500);
    await tx.run(
      `INSERT INTO ticket_changes (at, type, ticket_id, site, body) VALUES ${rowPlaceholders(chunk.length, 5)}`,
      chunk.flatMap((c) => [
        c.at,
        c.type,
        c.ticket.id,
        c.ticket.site,
        JSON.stringify({ type: c.type, at: c.at, actor: c.actor, ticket: c.ticket, detail: c.detail }),
      ]),
    );
  }
}

/** Tells in-process readers that the log grew; other instances' changes are found by polling. */
export class ChangeSignal extends EventEmitter<{ appended: [] }> {
  notify(): void {
    this.emit('appended');
  }
}

export interface ChangeQuery {
  /** Exclusive; '0' (or absent) reads from the beginning. */
  after?: string;
  limit: number;
  /** undefined: every site. */
  sites?: readonly string[];
  types?: readonly TicketChangeType[];
}

interface ChangeRow {
  id: number | string;
  body: string;
}

/** Reading the change log: by cursor, for replay, the bus and the workers. */
export class ChangeFeed {
  constructor(
    private readonly db: SqlDatabase,
    readonly signal: ChangeSignal,
  ) {}

  async read(query: ChangeQuery): Promise<TicketChangePage> {
    const after = query.after ?? '0';
    if (!/^[0-9]{1,19}$/.test(after)) {
      throw new RangeError(
        `cursor '${after}' is not one this server gave out; use the nextCursor of a page, or 0`,
      );
    }
    const where = ['id > ?'];
    const params: SqlValue[] = [Number(after)];
    if (query.sites) {
      where.push(`site IN (${placeholders(query.sites.length) || 'NULL'})`);
      params.push(...query.sites);
    }
    if (query.types) {
      where.push(`type IN (${placeholders(query.types.length) || 'NULL'})`);
      params.push(...query.types);
    }
    const rows = await this.db.all<ChangeRow>(
      `SELECT id, body FROM ticket_changes WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`,
      [...params, query.limit],
    );
    const changes = rows.map(toChange);
    return { changes, nextCursor: changes.at(-1)?.cursor ?? after };
  }

  /**
   * Removes changes older than `beforeIso` that every consumer has passed; returns how many. The
   * newest change always stays, so a new consumer still finds where the log ends.
   */
  async prune(beforeIso: string): Promise<number> {
    return this.db.run(
      `DELETE FROM ticket_changes WHERE at < ?
         AND id <= (SELECT coalesce(min(cursor), 0) FROM change_consumers)
         AND id < (SELECT max(id) FROM ticket_changes)`,
      [beforeIso],
    );
  }

  /** The newest cursor: where a consumer that should not see history starts. */
  async latestCursor(): Promise<string> {
    const row = await this.db.get<{ id: number | string | null }>('SELECT max(id) AS id FROM ticket_changes');
    return String(row?.id ?? 0);
  }
}

function toChange(row: ChangeRow): TicketChange {
  const body = JSON.parse(row.body) as Omit<TicketChange, 'schema' | 'cursor'>;
  return { schema: TICKET_CHANGE_SCHEMA, cursor: String(row.id), ...body };
}
