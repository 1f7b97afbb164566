import type {
  AssignRequest,
  AuditEntry,
  EarlierSpectraReply,
  Fault,
  RuleTrackRecord,
  StoredCloseOut,
  Ticket,
  TicketComment,
  TicketDetail,
  TicketPage,
  TicketStatus,
  TicketView,
  TicketChangeType,
  TransitionRequest,
  WorkOrderLink,
} from '../../shared/schema/index.js';
import { median } from 'simple-statistics';
import { placeholders, type SqlDatabase, type SqlExecutor, type SqlValue } from '../store/sql-database.js';
import { audit } from './ticket-audit.js';
import { earlierSpectra, type EarlierSpectraOptions } from './earlier-spectra.js';
import { appendTicketChanges, changeSubject, type ChangeSignal } from './ticket-changes.js';
import {
  isHistorical,
  isOverdue,
  OPEN_STATUSES,
  type TransitionProblem,
  transitionProblem,
} from './ticket-lifecycle.js';

export type TicketSort = 'newest' | 'urgency';

export interface TicketFilter {
  /** undefined: every site (an admin or an all-sites user). */
  sites?: readonly string[];
  statuses?: readonly TicketStatus[];
  site?: string;
  assetId?: string;
  fault?: Fault;
  assignee?: string;
  predicted?: boolean;
  overdue?: boolean;
  sort: TicketSort;
  limit: number;
  cursor?: string;
}

export type ReviewOutcome<T> =
  { ok: T } | { problem: TransitionProblem | { kind: 'not_found'; message: string } };

interface TicketRow {
  id: string;
  /** The one stored site (and raising gateway): the queue filters on it, the detail's access check reads it. */
  site: string;
  gateway_id: string;
  body: string;
  status: TicketStatus;
  due_at: string;
  severity_rank: number;
  assignee: string | null;
  close_out: string | null;
  duplicate_of: string | null;
  review_updated_at: string | null;
  opened_at: string;
  first_received_at: string | null;
  work_order: string | null;
}

export interface AssignOptions {
  /** Why: recorded in the audit trail and the change, e.g. "on call at site-a, fewest open tickets". */
  reason?: string;
  /** Set by escalation: the step reached (1: next engineer, 2: site lead…). */
  escalationLevel?: number;
  /** Why escalation moved it, when not for want of an acknowledgement: `overdue` (past its due date). */
  escalationCause?: 'overdue';
  /** Assign only if the ticket is still like this (routing and escalation must not override people). */
  onlyIf?: { statuses?: readonly TicketStatus[]; assignee?: string | null };
}

const TICKET_COLUMNS =
  'id, site, gateway_id, body, status, due_at, severity_rank, assignee, close_out, duplicate_of, review_updated_at, opened_at, first_received_at, work_order';

const ticketView = (row: TicketRow, nowMs: number): TicketView => ({
  ...(JSON.parse(row.body) as Ticket),
  // The columns, not the body's copy: a later edge snapshot cannot move a ticket to another site.
  site: row.site,
  gatewayId: row.gateway_id,
  status: row.status,
  dueAt: row.due_at,
  overdue: isOverdue(row.status, row.due_at, nowMs),
  ...(row.assignee ? { assignee: row.assignee } : {}),
  ...(row.close_out ? { closeOut: JSON.parse(row.close_out) as StoredCloseOut } : {}),
  ...(row.duplicate_of ? { duplicateOf: row.duplicate_of } : {}),
  ...(row.review_updated_at ? { reviewedAt: row.review_updated_at } : {}),
  ...(isHistorical(row.first_received_at, row.opened_at) ? { historical: true } : {}),
  ...(row.work_order ? { workOrder: JSON.parse(row.work_order) as WorkOrderLink } : {}),
});

/** One ticket as engineers see it, read inside a transaction. */
export async function readTicketView(
  tx: SqlExecutor,
  id: string,
  nowMs = Date.now(),
): Promise<TicketView | undefined> {
  const row = await tx.get<TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?`, [id]);
  return row ? ticketView(row, nowMs) : undefined;
}

/** Logs a change of a ticket with the ticket as it is now (inside the transaction that changed it). */
export async function recordTicketChange(
  tx: SqlExecutor,
  id: string,
  change: { type: TicketChangeType; at: string; actor: string; detail: Record<string, unknown> },
  nowMs = Date.now(),
): Promise<TicketView | undefined> {
  const view = await readTicketView(tx, id, nowMs);
  if (view) await appendTicketChanges(tx, [{ ...change, ticket: changeSubject(view) }]);
  return view;
}

/** Keyset cursors: stable under inserts, and as fast on page 400 as on page 1. */
const encodeCursor = (row: TicketRow, sort: TicketSort): string =>
  sort === 'newest'
    ? row.id
    : Buffer.from(`${row.severity_rank}|${row.due_at}|${row.id}`).toString('base64url');

function cursorCondition(sort: TicketSort, cursor: string): { sql: string; params: SqlValue[] } {
  if (sort === 'newest') return { sql: 'id < ?', params: [cursor] };
  const [rank, due, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rank === undefined || due === undefined || id === undefined || !/^\d$/.test(rank)) {
    throw new RangeError('cursor is not one this server gave out; start again without it');
  }
  return {
    sql: '(severity_rank > ? OR (severity_rank = ? AND (due_at > ? OR (due_at = ? AND id > ?))))',
    params: [Number(rank), Number(rank), due, due, id],
  };
}

/** The engineers' side: the ticket queue, one ticket with its history, lifecycle, rule track record. */
export class ReviewStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly changes: ChangeSignal,
  ) {}

  /** Runs a change in one transaction, and tells the change log's readers once it committed. */
  private async changing<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(fn);
    this.changes.notify();
    return result;
  }

  async list(filter: TicketFilter, nowMs = Date.now()): Promise<TicketPage> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (sql: string, ...values: SqlValue[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (filter.sites) add(`site IN (${placeholders(filter.sites.length) || 'NULL'})`, ...filter.sites);
    if (filter.statuses) add(`status IN (${placeholders(filter.statuses.length)})`, ...filter.statuses);
    if (filter.site !== undefined) add('site = ?', filter.site);
    if (filter.assetId !== undefined) add('asset_id = ?', filter.assetId);
    if (filter.fault !== undefined) add('fault = ?', filter.fault);
    if (filter.assignee !== undefined) add('assignee = ?', filter.assignee);
    if (filter.predicted !== undefined) add('predicted = ?', filter.predicted ? 1 : 0);
    if (filter.overdue !== undefined) {
      const open = `status IN (${placeholders(OPEN_STATUSES.length)}) AND due_at < ?`;
      add(filter.overdue ? open : `NOT (${open})`, ...OPEN_STATUSES, new Date(nowMs).toISOString());
    }
    if (filter.cursor) {
      const condition = cursorCondition(filter.sort, filter.cursor);
      add(condition.sql, ...condition.params);
    }
    const order = filter.sort === 'newest' ? 'id DESC' : 'severity_rank, due_at, id';
    const rows = await this.db.all<TicketRow>(
      `SELECT ${TICKET_COLUMNS} FROM tickets ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${order} LIMIT ?`,
      [...params, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      tickets: page.map((row) => ticketView(row, nowMs)),
      ...(rows.length > filter.limit && last ? { nextCursor: encodeCursor(last, filter.sort) } : {}),
    };
  }

  async get(id: string, nowMs = Date.now()): Promise<TicketView | undefined> {
    const row = await this.db.get<TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?`, [id]);
    return row ? ticketView(row, nowMs) : undefined;
  }

  /** Earlier spectra of the ticket's asset and channel, to compare with (earlier-spectra.ts). */
  earlierSpectra(ticket: Ticket, options: EarlierSpectraOptions): Promise<EarlierSpectraReply> {
    return earlierSpectra(this.db, ticket, options);
  }

  async detail(
    id: string,
    nowMs = Date.now(),
  ): Promise<Omit<TicketDetail, 'allowedTransitions'> | undefined> {
    const view = await this.get(id, nowMs);
    if (!view) return undefined;
    const comments = await this.db.all<TicketComment>(
      'SELECT id, at, author, text FROM ticket_comments WHERE ticket_id = ? ORDER BY id',
      [id],
    );
    const audit = await this.db.all<{
      at: string;
      actor: string;
      action: AuditEntry['action'];
      detail: string;
    }>('SELECT at, actor, action, detail FROM ticket_audit WHERE ticket_id = ? ORDER BY id', [id]);
    return {
      ...view,
      comments: comments.map((c) => ({ ...c, id: Number(c.id) })),
      audit: audit.map((a) => ({ ...a, detail: JSON.parse(a.detail) as Record<string, unknown> })),
    };
  }

  /** Moves a ticket on its lifecycle, with the close-out when it is resolved; audited. */
  transition(
    id: string,
    actor: string,
    request: TransitionRequest,
    nowMs = Date.now(),
  ): Promise<ReviewOutcome<TicketView>> {
    return this.changing(async (tx) => {
      const row = await tx.get<{ status: TicketStatus; opened_at: string; body: string }>(
        'SELECT status, opened_at, body FROM tickets WHERE id = ?',
        [id],
      );
      if (!row) return { problem: { kind: 'not_found', message: `no ticket with id '${id}'` } };
      const edge = JSON.parse(row.body) as Ticket;
      const problem =
        transitionProblem(row.status, request, id, nowMs) ?? activeConditionProblem(edge, request);
      if (problem) return { problem };
      if (
        request.duplicateOf &&
        !(await tx.get('SELECT 1 AS x FROM tickets WHERE id = ?', [request.duplicateOf]))
      ) {
        return {
          problem: {
            kind: 'invalid',
            field: 'duplicateOf',
            message: `no ticket with id '${request.duplicateOf}'`,
          },
        };
      }
      const now = new Date(nowMs).toISOString();
      const closeOut = closeOutFor(request, edge.condition === 'active');
      const leadTimeMs = leadTime(closeOut, row.opened_at);
      // Reopening a resolved ticket withdraws its verdict; the audit trail keeps the old one.
      const keepsVerdict = request.to === 'closed';
      const changes = await tx.run(
        `UPDATE tickets SET status = ?, review_updated_at = ?,
           close_out = ${keepsVerdict ? 'close_out' : '?'}, outcome = ${keepsVerdict ? 'outcome' : '?'},
           lead_time_ms = ${keepsVerdict ? 'lead_time_ms' : '?'}, duplicate_of = ?
         WHERE id = ? AND status = ?`,
        [
          request.to,
          now,
          ...(keepsVerdict
            ? []
            : [closeOut ? JSON.stringify(closeOut) : null, closeOut?.outcome ?? null, leadTimeMs]),
          request.duplicateOf ?? null,
          id,
          row.status,
        ],
      );
      if (changes === 0) {
        return {
          problem: { kind: 'conflict', message: 'the ticket changed meanwhile; reload it and try again' },
        };
      }
      const detail = {
        from: row.status,
        to: request.to,
        ...(request.comment ? { comment: request.comment } : {}),
        ...(closeOut ? { closeOut } : {}),
        ...(request.duplicateOf ? { duplicateOf: request.duplicateOf } : {}),
      };
      await audit(tx, id, now, actor, 'transition', detail);
      if (request.comment) await insertComment(tx, id, now, actor, request.comment);
      const view = await recordTicketChange(
        tx,
        id,
        { type: 'ticket.transitioned', at: now, actor, detail },
        nowMs,
      );
      return { ok: view as TicketView };
    });
  }

  assign(
    id: string,
    actor: string,
    request: AssignRequest,
    nowMs = Date.now(),
    options: AssignOptions = {},
  ): Promise<ReviewOutcome<TicketView>> {
    return this.changing(async (tx) => {
      const row = await tx.get<{ assignee: string | null; status: TicketStatus }>(
        'SELECT assignee, status FROM tickets WHERE id = ?',
        [id],
      );
      if (!row) return { problem: { kind: 'not_found', message: `no ticket with id '${id}'` } };
      const { onlyIf } = options;
      if (
        (onlyIf?.statuses && !onlyIf.statuses.includes(row.status)) ||
        (onlyIf?.assignee !== undefined && onlyIf.assignee !== row.assignee)
      ) {
        return {
          problem: { kind: 'conflict', message: 'the ticket changed meanwhile; reload it and try again' },
        };
      }
      const now = new Date(nowMs).toISOString();
      // Conditional on what was read, so a concurrent assignment on another instance is not overwritten.
      const changed = await tx.run(
        'UPDATE tickets SET assignee = ?, review_updated_at = ? WHERE id = ? AND status = ? AND assignee IS NOT DISTINCT FROM ?',
        [request.assignee, now, id, row.status, row.assignee],
      );
      if (changed === 0) {
        return {
          problem: { kind: 'conflict', message: 'the ticket changed meanwhile; reload it and try again' },
        };
      }
      const escalated = options.escalationLevel !== undefined;
      const detail = {
        from: row.assignee,
        to: request.assignee,
        ...(options.reason ? { reason: options.reason } : {}),
        ...(escalated ? { level: options.escalationLevel } : {}),
        ...(options.escalationCause ? { cause: options.escalationCause } : {}),
      };
      await audit(tx, id, now, actor, escalated ? 'escalate' : 'assign', detail);
      const view = await recordTicketChange(
        tx,
        id,
        { type: escalated ? 'ticket.escalated' : 'ticket.assigned', at: now, actor, detail },
        nowMs,
      );
      return { ok: view as TicketView };
    });
  }

  /** Stores the CMMS work order created for a ticket; audited, and published as a change. */
  linkWorkOrder(
    id: string,
    actor: string,
    link: WorkOrderLink,
    nowMs = Date.now(),
  ): Promise<ReviewOutcome<TicketView>> {
    return this.changing(async (tx) => {
      const changed = await tx.run('UPDATE tickets SET work_order = ? WHERE id = ?', [
        JSON.stringify(link),
        id,
      ]);
      if (changed === 0) return { problem: { kind: 'not_found', message: `no ticket with id '${id}'` } };
      const at = new Date(nowMs).toISOString();
      await audit(tx, id, at, actor, 'work_order', { ...link });
      const view = await recordTicketChange(
        tx,
        id,
        { type: 'ticket.work_order_linked', at, actor, detail: { ...link } },
        nowMs,
      );
      return { ok: view as TicketView };
    });
  }

  comment(
    id: string,
    actor: string,
    text: string,
    nowMs = Date.now(),
  ): Promise<ReviewOutcome<TicketComment>> {
    return this.changing(async (tx) => {
      if (!(await tx.get('SELECT 1 AS x FROM tickets WHERE id = ?', [id]))) {
        return { problem: { kind: 'not_found', message: `no ticket with id '${id}'` } };
      }
      const now = new Date(nowMs).toISOString();
      const comment = await insertComment(tx, id, now, actor, text);
      await audit(tx, id, now, actor, 'comment', { commentId: comment.id });
      await recordTicketChange(
        tx,
        id,
        { type: 'ticket.commented', at: now, actor, detail: { commentId: comment.id, text } },
        nowMs,
      );
      return { ok: comment };
    });
  }

  /**
   * Per rule version: fired, judged, precision and median lead time, newest activity first. A
   * ticket counts for every rule that contributed to it (ticket_rules), not only the first.
   */
  async trackRecord(sites?: readonly string[]): Promise<RuleTrackRecord[]> {
    const rows = await this.db.all<{
      rule_id: string;
      rule_version: string;
      status: TicketStatus;
      outcome: string | null;
      lead_time_ms: number | null;
      predicted: number;
      opened_at: string;
    }>(
      // Tickets written without their rules listed (imported history) count for the rule they name.
      `SELECT r.rule_id, r.rule_version, t.status, t.outcome, t.lead_time_ms, t.predicted, t.opened_at
         FROM ticket_rules r JOIN tickets t ON t.id = r.ticket_id ${sites ? `WHERE t.site IN (${placeholders(sites.length) || 'NULL'})` : ''}
       UNION ALL
       SELECT t.rule_id, t.rule_version, t.status, t.outcome, t.lead_time_ms, t.predicted, t.opened_at
         FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_rules r WHERE r.ticket_id = t.id)
         ${sites ? `AND t.site IN (${placeholders(sites.length) || 'NULL'})` : ''}`,
      sites ? [...sites, ...sites] : [],
    );
    const records = new Map<string, RuleTrackRecord & { leadTimes: number[] }>();
    for (const r of rows) {
      const key = `${r.rule_id}@${r.rule_version}`;
      let record = records.get(key);
      if (!record) {
        record = {
          ruleId: r.rule_id,
          ruleVersion: r.rule_version,
          fired: 0,
          open: 0,
          confirmed: 0,
          falsePositives: 0,
          inconclusive: 0,
          duplicates: 0,
          predicted: 0,
          leadTimes: [],
        };
        records.set(key, record);
      }
      record.fired++;
      if (OPEN_STATUSES.includes(r.status)) record.open++;
      if (r.status === 'duplicate') record.duplicates++;
      if (r.outcome === 'confirmed') record.confirmed++;
      if (r.outcome === 'false_positive') record.falsePositives++;
      if (r.outcome === 'inconclusive') record.inconclusive++;
      if (r.predicted) record.predicted++;
      if (r.outcome === 'confirmed' && r.lead_time_ms !== null) record.leadTimes.push(Number(r.lead_time_ms));
      if (!record.lastFiredAt || r.opened_at > record.lastFiredAt) record.lastFiredAt = r.opened_at;
    }
    return [...records.values()]
      .map(({ leadTimes, ...record }) => ({
        ...record,
        ...(record.confirmed + record.falsePositives > 0
          ? { precision: record.confirmed / (record.confirmed + record.falsePositives) }
          : {}),
        ...(leadTimes.length
          ? { medianLeadTimeMs: median(leadTimes), leadTimeSamples: leadTimes.length }
          : {}),
      }))
      .sort((a, b) => (b.lastFiredAt ?? '').localeCompare(a.lastFiredAt ?? ''));
  }
}

/**
 * From the ticket's opening to the failure, for a confirmed failure whose time was given; null
 * otherwise. The resolution time is not the failure time: defaulting to it would make the track
 * record's "lead time" the time to repair.
 */
function leadTime(closeOut: StoredCloseOut | undefined, openedAt: string): number | null {
  if (closeOut?.outcome !== 'confirmed' || closeOut.failureAt === undefined) return null;
  return Date.parse(closeOut.failureAt) - Date.parse(openedAt);
}

/** Resolving while the edge still sees the condition must be asked for explicitly. */
function activeConditionProblem(edge: Ticket, request: TransitionRequest): TransitionProblem | undefined {
  if (request.to !== 'resolved' || edge.condition !== 'active' || request.confirmActive === true) {
    return undefined;
  }
  return {
    kind: 'condition_active',
    message: `the condition is still active at the edge (last seen ${edge.lastSeen}); to resolve it anyway, send confirmActive: true with the transition`,
  };
}

/** The verdict a transition records: the engineer's close-out, or the implied one of a false positive. */
function closeOutFor(request: TransitionRequest, conditionActive: boolean): StoredCloseOut | undefined {
  if (request.to === 'resolved' && request.feedback) {
    return { ...request.feedback, ...(conditionActive ? { resolvedWhileActive: true } : {}) };
  }
  if (request.to === 'false_positive') {
    return (
      request.feedback ?? {
        outcome: 'false_positive',
        actionTaken: request.comment ?? 'none: no fault found',
      }
    );
  }
  return undefined;
}

async function insertComment(
  tx: SqlExecutor,
  ticketId: string,
  at: string,
  author: string,
  text: string,
): Promise<TicketComment> {
  const row = await tx.get<{ id: number }>(
    'INSERT INTO ticket_comments (ticket_id, at, author, text) VALUES (?, ?, ?, ?) RETURNING id',
    [ticketId, at, author, text],
  );
  return { id: Number(row?.id), at, author, text };
}
