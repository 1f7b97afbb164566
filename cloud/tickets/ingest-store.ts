import type {
  GatewayBacklog,
  GatewayView,
  OutboxEvent,
  SetAsideEvent,
  Severity,
  Ticket,
  TicketChangeSubject,
  TicketStatus,
  WorkOrderLink,
} from '../../shared/schema/index.js';
import { MAX_SET_ASIDE_PER_BATCH } from '../../shared/schema/index.js';
import { placeholders, rowPlaceholders, type SqlDatabase, type SqlExecutor } from '../store/sql-database.js';
import { audit } from './ticket-audit.js';
import { dueAt, isHistorical, SEVERITY_RANK } from './ticket-lifecycle.js';
import { appendTicketChanges, type ChangeSignal, type NewTicketChange } from './ticket-changes.js';
import { type BeforeRaise, edgeRaise } from './ticket-raise.js';

export interface ApplyResult {
  /** Highest seq stored with no gap below it: what the gateway may forget. */
  ackedSeq: number;
  applied: number;
  duplicates: number;
  /** Events stored but not yet applied because an earlier seq is missing. */
  heldBehindGap: number;
  /**
   * Highest seq with every seq up to it stored here or set aside by the gateway (IngestReply);
   * absent when it is ackedSeq, as it is unless a set-aside event leaves a gap.
   */
  settledSeq?: number;
}

/** What a gateway sent besides its events: its backlog and its set-aside events. */
export interface IngestReport {
  backlog?: GatewayBacklog | undefined;
  setAside?: readonly SetAsideEvent[] | undefined;
}

/** The sites the sending gateway may write; absent for the cloud's own callers (import, tests). */
export interface IngestWriter {
  sites?: readonly string[] | undefined;
}

/** Why a batch was refused: the rejects metric's label. */
export type IngestRefusal = 'site_not_allowed' | 'foreign_ticket' | 'wrong_gateway';

/** A batch that writes what its gateway does not own: nothing of it is applied. */
export class IngestRefusedError extends Error {
  constructor(
    readonly reason: IngestRefusal,
    /** Where in the request body, e.g. `body/events/3/ticket/site`. */
    readonly field: string,
    why: string,
  ) {
    super(`${field}: ${why}`);
    this.name = 'IngestRefusedError';
  }
}

interface IngestJob {
  gatewayId: string;
  events: OutboxEvent[];
  report: IngestReport;
  writer: IngestWriter;
  resolve: (result: ApplyResult) => void;
  reject: (error: unknown) => void;
}

/** Events of one multi-row insert; 9 values each stays far below both databases' parameter limits. */
const INSERT_CHUNK = 500;

/**
 * The gateways' side of the store: outbox events applied idempotently by (gatewayId, seq), in seq
 * order, into tickets. Only edge-owned ticket columns are written here; status, assignee and
 * close-out belong to engineers and are never touched by a replay.
 */
export class IngestStore {
  private readonly waiting: IngestJob[] = [];

  constructor(
    private readonly db: SqlDatabase,
    private readonly changes: ChangeSignal,
  ) {}

  /**
   * Refuses (IngestRefusedError, nothing applied) a batch with an event of another gateway's
   * ticket, or, given the writer's sites, of a site it may not write.
   */
  async applyEvents(
    gatewayId: string,
    events: OutboxEvent[],
    report: IngestReport = {},
    writer: IngestWriter = {},
  ): Promise<ApplyResult> {
    const result = await this.applyCommitted(gatewayId, events, report, writer);
    if (result.applied > 0) this.changes.notify();
    return result;
  }

  private applyCommitted(
    gatewayId: string,
    events: OutboxEvent[],
    report: IngestReport,
    writer: IngestWriter,
  ): Promise<ApplyResult> {
    if (this.db.dialect === 'postgres') {
      return this.db.transaction((tx) => applyInTransaction(tx, gatewayId, events, report, writer));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ gatewayId, events, report, writer, resolve, reject });
      if (this.waiting.length === 1) setImmediate(() => void this.commitWaiting());
    });
  }

  /**
   * Group commit (SQLite): the batches that arrived in the same turn of the event loop share one
   * transaction, so one durable commit (the fsync most of a batch's cost) serves several gateways.
   * Each still gets its own result; if the shared transaction fails, each batch is retried alone,
   * so one gateway's failure is never another's.
   */
  private async commitWaiting(): Promise<void> {
    const jobs = this.waiting.splice(0);
    try {
      const results = await this.db.transaction(async (tx) => {
        const out: ApplyResult[] = [];
        for (const job of jobs)
          out.push(await applyInTransaction(tx, job.gatewayId, job.events, job.report, job.writer));
        return out;
      });
      jobs.forEach((job, i) => job.resolve(results[i] as ApplyResult));
    } catch (error) {
      if (jobs.length === 1) return jobs[0]?.reject(error);
      for (const job of jobs) {
        this.db
          .transaction((tx) => applyInTransaction(tx, job.gatewayId, job.events, job.report, job.writer))
          .then(job.resolve, job.reject);
      }
    }
  }

  /** Per gateway: last seen, watermark, counts, a gap if events wait behind a missing seq. */
  async gateways(sites?: readonly string[]): Promise<GatewayView[]> {
    const scoped = sites
      ? `WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.gateway_id = g.gateway_id AND t.site IN (${placeholders(sites.length)}))`
      : '';
    const rows = await this.db.all<GatewayRow>(
      `SELECT g.gateway_id, g.acked_seq, g.events_received, g.duplicates_ignored, g.last_seen,
           g.reported_pending, g.reported_last_seq, g.reported_oldest_pending_age_ms,
           (SELECT count(*) FROM events e WHERE e.gateway_id = g.gateway_id AND e.seq > g.acked_seq) AS held
         FROM gateways g ${scoped} ORDER BY g.gateway_id`,
      sites ?? [],
    );
    const setAside = await this.setAsideEvents(rows.map((r) => r.gateway_id));
    return rows.map((r) => gatewayView(r, setAside.get(r.gateway_id) ?? []));
  }

  /** The set-aside events the gateways reported and have not resent, by gateway, in seq order. */
  private async setAsideEvents(gatewayIds: string[]): Promise<Map<string, SetAsideEvent[]>> {
    const byGateway = new Map<string, SetAsideEvent[]>();
    if (gatewayIds.length === 0) return byGateway;
    const rows = await this.db.all<SetAsideRow & { gateway_id: string }>(
      `SELECT gateway_id, seq, type, ticket_id, reason, attempts, set_aside_at FROM set_aside_events
         WHERE gateway_id IN (${placeholders(gatewayIds.length)}) ORDER BY gateway_id, seq`,
      gatewayIds,
    );
    for (const r of rows) {
      const list = byGateway.get(r.gateway_id) ?? [];
      list.push({
        seq: Number(r.seq),
        type: r.type,
        ticketId: r.ticket_id,
        reason: r.reason,
        attempts: Number(r.attempts),
        at: r.set_aside_at,
      });
      byGateway.set(r.gateway_id, list);
    }
    return byGateway;
  }
}

interface SetAsideRow {
  seq: number;
  type: string;
  ticket_id: string;
  reason: string;
  attempts: number;
  set_aside_at: string;
}

interface GatewayRow {
  gateway_id: string;
  acked_seq: number;
  events_received: number;
  duplicates_ignored: number;
  last_seen: string | null;
  reported_pending: number | null;
  reported_last_seq: number | null;
  reported_oldest_pending_age_ms: number | null;
  held: number;
}

const gatewayView = (r: GatewayRow, setAside: SetAsideEvent[]): GatewayView => ({
  gatewayId: r.gateway_id,
  ackedSeq: r.acked_seq,
  eventsReceived: r.events_received,
  duplicatesIgnored: r.duplicates_ignored,
  ...(r.last_seen ? { lastSeen: r.last_seen } : {}),
  ...(r.held > 0 ? { gap: { firstMissingSeq: r.acked_seq + 1, heldEvents: r.held } } : {}),
  ...(setAside.length > 0 ? { setAside } : {}),
  ...(r.reported_pending !== null
    ? {
        backlog: {
          pending: r.reported_pending,
          lastSeq: r.reported_last_seq ?? 0,
          ...(r.reported_oldest_pending_age_ms !== null
            ? { oldestPendingAgeMs: r.reported_oldest_pending_age_ms }
            : {}),
        },
      }
    : {}),
});

async function applyInTransaction(
  tx: SqlExecutor,
  gatewayId: string,
  events: OutboxEvent[],
  { backlog, setAside: reportedSetAside = [] }: IngestReport,
  writer: IngestWriter,
): Promise<ApplyResult> {
  const now = new Date().toISOString();
  // The upsert locks the gateway's row (PostgreSQL): two instances given the same gateway's
  // batches apply them one after the other, so the watermark never goes backwards.
  const locked = await tx.get<{ acked_seq: number }>(
    `INSERT INTO gateways (gateway_id, last_seen) VALUES (?, ?)
       ON CONFLICT (gateway_id) DO UPDATE SET last_seen = excluded.last_seen RETURNING acked_seq`,
    [gatewayId, now],
  );
  const watermark = Number(locked?.acked_seq ?? 0);
  // Before anything is written; a refusal rolls the whole batch back, the watermark too.
  await refuseForeignWrites(tx, gatewayId, events, watermark, writer.sites);
  const fresh = new Map(events.filter((e) => e.seq > watermark).map((e) => [e.seq, e]));
  // Events stored beyond the watermark by earlier batches: usually none.
  const held = await heldEvents(tx, gatewayId, watermark);
  // A held event's body is read only when it is applied: most wait through many batches.
  const eventAt = async (seq: number): Promise<OutboxEvent | undefined> =>
    fresh.get(seq) ?? (held.has(seq) ? storedEvent(tx, gatewayId, seq) : undefined);
  const prevOf = (seq: number): number | null | undefined =>
    fresh.has(seq) ? (fresh.get(seq)?.prevSeqForAsset ?? null) : held.get(seq)?.prevSeq;
  // Seqs the gateway set aside (none of this batch's, which it has just resent).
  const setAside = await recordSetAside(tx, gatewayId, watermark, reportedSetAside, fresh, now);

  // First in seq order, from the watermark up to the first missing seq (events that went ahead
  // of a backlog were applied already, and are passed over).
  const applying: OutboxEvent[] = [];
  const appliedNow = new Set<number>();
  let seq = watermark + 1;
  for (; fresh.has(seq) || held.has(seq); seq++) {
    if (held.get(seq)?.applied) continue;
    const event = await eventAt(seq);
    if (!event) break;
    applying.push(event);
    appliedNow.add(seq);
  }
  const ackedSeq = seq - 1;
  // Then beyond the gap: an event whose asset's previous event is applied (or that has none)
  // need not wait for other assets' backlog. Ascending order keeps each asset's chain in order.
  const isApplied = (s: number) => s <= ackedSeq || appliedNow.has(s) || held.get(s)?.applied === true;
  const beyond = [...new Set([...fresh.keys(), ...held.keys()])]
    .filter((s) => s > ackedSeq)
    .sort((a, b) => a - b);
  for (const s of beyond) {
    if (isApplied(s)) continue;
    const prev = prevOf(s);
    // A set-aside predecessor is not waited for: the gateway sends the events after it.
    if (prev === null || prev === undefined || !(prev === 0 || isApplied(prev) || setAside.has(prev)))
      continue;
    const event = await eventAt(s);
    if (!event) continue;
    applying.push(event);
    appliedNow.add(s);
  }

  const inserted = await insertEvents(tx, gatewayId, [...fresh.values()], isApplied, now);
  const appliedHeld = [...appliedNow].filter((s) => held.has(s));
  for (let i = 0; i < appliedHeld.length; i += INSERT_CHUNK) {
    const chunk = appliedHeld.slice(i, i + INSERT_CHUNK);
    await tx.run(
      `UPDATE events SET applied = 1, body = '' WHERE gateway_id = ? AND seq IN (${placeholders(chunk.length)})`,
      [gatewayId, ...chunk],
    );
  }
  const received = inserted;
  const duplicates = events.length - received;
  const applied = applying.length;

  // Each ticket is written once, in its final state.
  const changed = new Map<string, { ticket: Ticket; seq: number; opened: boolean; cleared: boolean }>();
  for (const event of applying) {
    const before = changed.get(event.ticket.id);
    changed.set(event.ticket.id, {
      ticket: event.ticket,
      seq: event.seq,
      opened: (before?.opened ?? false) || event.type === 'ticket.opened',
      cleared: (before?.cleared ?? false) || event.type === 'ticket.cleared',
    });
  }
  const log: NewTicketChange[] = [];
  const actor = `gateway:${gatewayId}`;
  const before = await ticketsBefore(tx, [...changed.keys()]);
  // A newer event of the same ticket may have been applied ahead already, past an event the gateway
  // had set aside and resends only now: the older snapshot must not overwrite it (nor re-announce it).
  const appliedAheadUpTo = Math.max(0, ...[...held].filter(([, e]) => e.applied).map(([s]) => s));
  for (const { ticket, seq: lastSeq, opened, cleared } of changed.values()) {
    if (lastSeq < appliedAheadUpTo && (await appliedAfter(tx, gatewayId, ticket.id, lastSeq))) continue;
    const previous = before.get(ticket.id);
    let subject = await saveEdgeTicket(tx, ticket, now);
    await creditRules(tx, ticket);
    if (opened) {
      const detail = { title: ticket.title, severity: ticket.severity };
      await audit(tx, ticket.id, ticket.firstSeen, actor, 'opened', detail);
      log.push({ type: 'ticket.opened', at: now, actor, ticket: subject, detail });
    }
    if (cleared) {
      await audit(tx, ticket.id, ticket.clearedAt ?? now, actor, 'cleared', {});
      log.push({ type: 'ticket.cleared', at: now, actor, ticket: subject, detail: {} });
      const folded = ticket.foldedInto
        ? await closeFolded(tx, subject, ticket.foldedInto, now, actor)
        : undefined;
      if (folded) {
        subject = folded.subject;
        log.push(folded.change);
      }
    }
    if (!opened && !cleared) {
      // A cleared condition seen active again: routing resumes the paging it paused.
      const reactivated = previous?.condition === 'cleared' && ticket.condition === 'active';
      log.push({
        type: 'ticket.updated',
        at: now,
        actor,
        ticket: subject,
        detail: {
          occurrences: ticket.occurrences,
          lastSeen: ticket.lastSeen,
          ...(reactivated ? { reactivated: true } : {}),
        },
      });
    }
    const raise = previous && !cleared ? edgeRaise(previous, ticket, Date.parse(now)) : undefined;
    if (raise) {
      await audit(tx, ticket.id, now, actor, 'severity_raised', raise);
      log.push({ type: 'ticket.severity_raised', at: now, actor, ticket: subject, detail: raise });
    }
  }
  // Stored beyond the watermark now, applied ahead or waiting.
  const heldNow = beyond.length;
  await tx.run(
    `UPDATE gateways SET acked_seq = ?, events_received = events_received + ?,
       duplicates_ignored = duplicates_ignored + ?${backlog ? REPORTED_BACKLOG_COLUMNS : ''} WHERE gateway_id = ?`,
    [
      ackedSeq,
      received,
      duplicates,
      ...(backlog ? [backlog.pending, backlog.lastSeq, backlog.oldestPendingAgeMs ?? null] : []),
      gatewayId,
    ],
  );
  // Last: on PostgreSQL the change log is appended under a lock held until the commit.
  await appendTicketChanges(tx, log);
  // Past the watermark over what is stored here or set aside there: what the gateway need not resend.
  let settledSeq = ackedSeq;
  while (fresh.has(settledSeq + 1) || held.has(settledSeq + 1) || setAside.has(settledSeq + 1)) settledSeq++;
  return {
    ackedSeq,
    applied,
    duplicates,
    heldBehindGap: heldNow,
    ...(settledSeq > ackedSeq ? { settledSeq } : {}),
  };
}

/**
 * A gateway writes only its own tickets, of the sites it may write. Events at or below the
 * watermark are duplicates, never applied, so they are not checked (an old event resent after a
 * rebinding does not block the gateway). A ticket's owner is the gateway that raised it, the
 * stored gateway_id.
 */
async function refuseForeignWrites(
  tx: SqlExecutor,
  gatewayId: string,
  events: readonly OutboxEvent[],
  watermark: number,
  sites: readonly string[] | undefined,
): Promise<void> {
  const fresh = events.map((event, index) => ({ event, index })).filter(({ event }) => event.seq > watermark);
  for (const { event, index } of fresh) {
    const { ticket } = event;
    if (ticket.gatewayId !== gatewayId) {
      throw new IngestRefusedError(
        'wrong_gateway',
        `body/events/${index}/ticket/gatewayId`,
        `ticket ${ticket.id} names gateway ${ticket.gatewayId}, not ${gatewayId}`,
      );
    }
    if (sites && !sites.includes(ticket.site)) {
      throw new IngestRefusedError(
        'site_not_allowed',
        `body/events/${index}/ticket/site`,
        `gateway ${gatewayId} may not write site ${ticket.site}`,
      );
    }
  }
  const ids = [...new Set(fresh.map(({ event }) => event.ticket.id))];
  const owners = new Map<string, string>();
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    const chunk = ids.slice(i, i + INSERT_CHUNK);
    const rows = await tx.all<{ id: string; gateway_id: string }>(
      `SELECT id, gateway_id FROM tickets WHERE id IN (${placeholders(chunk.length)})`,
      chunk,
    );
    for (const r of rows) owners.set(r.id, r.gateway_id);
  }
  for (const { event, index } of fresh) {
    const owner = owners.get(event.ticket.id);
    if (owner !== undefined && owner !== gatewayId) {
      throw new IngestRefusedError(
        'foreign_ticket',
        `body/events/${index}/ticket/id`,
        `ticket ${event.ticket.id} was raised by gateway ${owner}`,
      );
    }
  }
}

/**
 * Keeps the gateway's set-aside events as its batch reports them: the report is its whole list
 * (absent: none), or the newest MAX_SET_ASIDE_PER_BATCH of it. A seq no longer reported was
 * resent; one stored now arrived. Returns the set-aside seqs beyond the watermark.
 */
async function recordSetAside(
  tx: SqlExecutor,
  gatewayId: string,
  watermark: number,
  reported: readonly SetAsideEvent[],
  fresh: ReadonlyMap<number, OutboxEvent>,
  now: string,
): Promise<Set<number>> {
  const current = reported.filter((e) => e.seq > watermark && !fresh.has(e.seq));
  for (const e of current) {
    await tx.run(
      `INSERT INTO set_aside_events (gateway_id, seq, type, ticket_id, reason, attempts, set_aside_at, reported_at)
         VALUES (${placeholders(8)})
         ON CONFLICT (gateway_id, seq) DO UPDATE SET type = excluded.type, ticket_id = excluded.ticket_id,
           reason = excluded.reason, attempts = excluded.attempts, set_aside_at = excluded.set_aside_at,
           reported_at = excluded.reported_at`,
      [gatewayId, e.seq, e.type, e.ticketId, e.reason, e.attempts, e.at, now],
    );
  }
  // A full report may leave older ones out: those stay as they were.
  const floor =
    reported.length >= MAX_SET_ASIDE_PER_BATCH
      ? Math.min(...reported.map((e) => e.seq))
      : Number.MIN_SAFE_INTEGER;
  const keep = current.map((e) => e.seq);
  await tx.run(
    `DELETE FROM set_aside_events WHERE gateway_id = ? AND seq >= ?${keep.length > 0 ? ` AND seq NOT IN (${placeholders(keep.length)})` : ''}`,
    [gatewayId, floor, ...keep],
  );
  await tx.run('DELETE FROM set_aside_events WHERE gateway_id = ? AND seq <= ?', [gatewayId, watermark]);
  const rows = await tx.all<{ seq: number }>('SELECT seq FROM set_aside_events WHERE gateway_id = ?', [
    gatewayId,
  ]);
  return new Set(rows.map((r) => Number(r.seq)));
}

/**
 * What a raise is measured against: each ticket's severity, prediction ETA and condition as stored
 * before this batch (none for a ticket the cloud has not seen). One query per batch, by primary key.
 */
async function ticketsBefore(
  tx: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, BeforeRaise & { condition: string | null }>> {
  const found = new Map<string, BeforeRaise & { condition: string | null }>();
  const json = (path: string[]) =>
    tx.dialect === 'postgres'
      ? `(body::json #>> '{${path.join(',')}}')`
      : `json_extract(body, '$.${path.join('.')}')`;
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    const chunk = ids.slice(i, i + INSERT_CHUNK);
    const rows = await tx.all<{
      id: string;
      severity: Severity;
      eta: string | null;
      condition: string | null;
    }>(
      `SELECT id, severity, ${json(['prediction', 'eta'])} AS eta, ${json(['condition'])} AS condition
         FROM tickets WHERE id IN (${placeholders(chunk.length)})`,
      chunk,
    );
    for (const r of rows) found.set(r.id, { severity: r.severity, eta: r.eta, condition: r.condition });
  }
  return found;
}

const REPORTED_BACKLOG_COLUMNS =
  ', reported_pending = ?, reported_last_seq = ?, reported_oldest_pending_age_ms = ?';

/** Whether an event of the ticket after `seq` is applied already. */
async function appliedAfter(
  tx: SqlExecutor,
  gatewayId: string,
  ticketId: string,
  seq: number,
): Promise<boolean> {
  const row = await tx.get<{ seq: number }>(
    'SELECT seq FROM events WHERE gateway_id = ? AND ticket_id = ? AND applied = 1 AND seq > ? LIMIT 1',
    [gatewayId, ticketId, seq],
  );
  return row !== undefined;
}

interface HeldEvent {
  applied: boolean;
  /** The asset's previous seq; null for events from agents that do not send it. */
  prevSeq: number | null;
}

/** The gateway's events stored beyond its watermark: held behind a gap, or applied ahead of it. */
async function heldEvents(
  tx: SqlExecutor,
  gatewayId: string,
  watermark: number,
): Promise<Map<number, HeldEvent>> {
  const rows = await tx.all<{ seq: number; applied: number; prev_seq: number | null }>(
    'SELECT seq, applied, prev_seq FROM events WHERE gateway_id = ? AND seq > ?',
    [gatewayId, watermark],
  );
  return new Map(
    rows.map((r) => [
      Number(r.seq),
      { applied: Number(r.applied) === 1, prevSeq: r.prev_seq === null ? null : Number(r.prev_seq) },
    ]),
  );
}

async function storedEvent(
  tx: SqlExecutor,
  gatewayId: string,
  seq: number,
): Promise<OutboxEvent | undefined> {
  const row = await tx.get<{ body: string }>('SELECT body FROM events WHERE gateway_id = ? AND seq = ?', [
    gatewayId,
    seq,
  ]);
  return row?.body ? (JSON.parse(row.body) as OutboxEvent) : undefined;
}

/**
 * Inserts the events not stored yet; returns how many were new. An applied event lives on in its
 * ticket: only events still waiting keep their body. Not writing a ticket snapshot per event is
 * most of what a durable batch costs.
 */
async function insertEvents(
  tx: SqlExecutor,
  gatewayId: string,
  events: OutboxEvent[],
  isApplied: (seq: number) => boolean,
  now: string,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < events.length; i += INSERT_CHUNK) {
    const chunk = events.slice(i, i + INSERT_CHUNK);
    inserted += await tx.run(
      `INSERT INTO events (gateway_id, seq, type, ticket_id, at, received_at, body, prev_seq, applied)
         VALUES ${rowPlaceholders(chunk.length, 9)} ON CONFLICT DO NOTHING`,
      chunk.flatMap((e) => {
        const applied = isApplied(e.seq);
        return [
          gatewayId,
          e.seq,
          e.type,
          e.ticket.id,
          e.at,
          now,
          applied ? '' : JSON.stringify(e),
          e.prevSeqForAsset ?? null,
          applied ? 1 : 0,
        ];
      }),
    );
  }
  return inserted;
}

/**
 * The rules a ticket counts for in the track record: the one that raised it and every contributor
 * but a folded one that had raised its own ticket before (that ticket counts for it already).
 */
async function creditRules(tx: SqlExecutor, ticket: Ticket): Promise<void> {
  const rules = new Map([[`${ticket.rule.id}@${ticket.rule.version}`, ticket.rule]]);
  for (const c of ticket.contributors ?? []) {
    if (!c.folded?.fromTicketId) rules.set(`${c.rule.id}@${c.rule.version}`, c.rule);
  }
  const list = [...rules.values()];
  await tx.run(
    `INSERT INTO ticket_rules (ticket_id, rule_id, rule_version) VALUES ${rowPlaceholders(list.length, 3)}
       ON CONFLICT DO NOTHING`,
    list.flatMap((r) => [ticket.id, r.id, r.version]),
  );
}

/**
 * A generic condition's ticket the edge folded into a diagnosed one is closed as its duplicate,
 * unless an engineer has taken it up already: the queue shows the problem once.
 */
async function closeFolded(
  tx: SqlExecutor,
  subject: TicketChangeSubject,
  into: string,
  now: string,
  actor: string,
): Promise<{ subject: TicketChangeSubject; change: NewTicketChange } | undefined> {
  const changes = await tx.run(
    `UPDATE tickets SET status = 'duplicate', duplicate_of = ?, review_updated_at = ? WHERE id = ? AND status = 'new'`,
    [into, now, subject.id],
  );
  if (changes === 0) return undefined;
  const detail = {
    from: 'new',
    to: 'duplicate',
    duplicateOf: into,
    reason: 'folded into the diagnosed ticket by the edge',
  };
  await audit(tx, subject.id, now, actor, 'transition', detail);
  const closed: TicketChangeSubject = { ...subject, status: 'duplicate' };
  return { subject: closed, change: { type: 'ticket.transitioned', at: now, actor, ticket: closed, detail } };
}

/** Upserts the edge-owned columns; returns the ticket as the change log describes it. */
async function saveEdgeTicket(tx: SqlExecutor, ticket: Ticket, now: string): Promise<TicketChangeSubject> {
  const row = await tx.get<{
    site: string;
    status: TicketStatus;
    assignee: string | null;
    due_at: string;
    first_received_at: string | null;
    work_order: string | null;
  }>(
    `INSERT INTO tickets (id, gateway_id, site, asset_id, fault, severity, severity_rank, status, updated_at,
         body, due_at, opened_at, rule_id, rule_version, predicted, first_received_at)
       VALUES (${placeholders(16)})
       ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, severity_rank = excluded.severity_rank,
         updated_at = excluded.updated_at, body = excluded.body, due_at = excluded.due_at,
         predicted = excluded.predicted
       RETURNING site, status, assignee, due_at, first_received_at, work_order`,
    [
      ticket.id,
      ticket.gatewayId,
      ticket.site,
      ticket.assetId,
      ticket.fault,
      ticket.severity,
      SEVERITY_RANK[ticket.severity],
      'new',
      now,
      JSON.stringify(ticket),
      dueAt(ticket.severity, ticket.firstSeen, ticket.dueAt),
      ticket.firstSeen,
      ticket.rule.id,
      ticket.rule.version,
      ticket.prediction ? 1 : 0,
      now,
    ],
  );
  return {
    id: ticket.id,
    // The stored site, as the queue and the detail show it.
    site: row?.site ?? ticket.site,
    assetId: ticket.assetId,
    gatewayId: ticket.gatewayId,
    fault: ticket.fault,
    severity: ticket.severity,
    status: row?.status ?? 'new',
    title: ticket.title,
    ruleId: ticket.rule.id,
    ruleVersion: ticket.rule.version,
    openedAt: ticket.firstSeen,
    dueAt: row?.due_at ?? ticket.firstSeen,
    predicted: ticket.prediction !== undefined,
    ...(row?.assignee ? { assignee: row.assignee } : {}),
    ...(isHistorical(row?.first_received_at ?? null, ticket.firstSeen) ? { historical: true } : {}),
    ...(row?.work_order ? { workOrderId: (JSON.parse(row.work_order) as WorkOrderLink).externalId } : {}),
  };
}
