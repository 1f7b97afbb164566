import type { GatewayBacklog, GatewayView, OutboxEvent, Ticket } from '../../shared/schema/index.js';
import { dueAt, SEVERITY_RANK } from '../review/ticket-lifecycle.js';
import { placeholders, rowPlaceholders, type SqlDatabase, type SqlExecutor } from './sql-database.js';

export interface ApplyResult {
  /** Highest seq stored with no gap below it: what the gateway may forget. */
  ackedSeq: number;
  applied: number;
  duplicates: number;
  /** Events stored but not yet applied because an earlier seq is missing. */
  heldBehindGap: number;
}

interface IngestJob {
  gatewayId: string;
  events: OutboxEvent[];
  backlog: GatewayBacklog | undefined;
  resolve: (result: ApplyResult) => void;
  reject: (error: unknown) => void;
}

/** Events of one multi-row insert; 7 values each stays far below both databases' parameter limits. */
const INSERT_CHUNK = 500;

/**
 * The gateways' side of the store: outbox events applied idempotently by (gatewayId, seq), in seq
 * order, into tickets. Only edge-owned ticket columns are written here; status, assignee and
 * close-out belong to engineers and are never touched by a replay.
 */
export class IngestStore {
  private readonly waiting: IngestJob[] = [];

  constructor(private readonly db: SqlDatabase) {}

  applyEvents(gatewayId: string, events: OutboxEvent[], backlog?: GatewayBacklog): Promise<ApplyResult> {
    if (this.db.dialect === 'postgres') {
      return this.db.transaction((tx) => applyInTransaction(tx, gatewayId, events, backlog));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ gatewayId, events, backlog, resolve, reject });
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
          out.push(await applyInTransaction(tx, job.gatewayId, job.events, job.backlog));
        return out;
      });
      jobs.forEach((job, i) => job.resolve(results[i] as ApplyResult));
    } catch (error) {
      if (jobs.length === 1) return jobs[0]?.reject(error);
      for (const job of jobs) {
        this.db
          .transaction((tx) => applyInTransaction(tx, job.gatewayId, job.events, job.backlog))
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
    return rows.map(gatewayView);
  }
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

const gatewayView = (r: GatewayRow): GatewayView => ({
  gatewayId: r.gateway_id,
  ackedSeq: r.acked_seq,
  eventsReceived: r.events_received,
  duplicatesIgnored: r.duplicates_ignored,
  ...(r.last_seen ? { lastSeen: r.last_seen } : {}),
  ...(r.held > 0 ? { gap: { firstMissingSeq: r.acked_seq + 1, heldEvents: r.held } } : {}),
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
  backlog: GatewayBacklog | undefined,
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
  const fresh = new Map(events.filter((e) => e.seq > watermark).map((e) => [e.seq, e]));
  // Events held behind a gap by earlier batches; usually none, and then no per-seq lookups.
  const heldBefore = await tx.get<{ n: number }>(
    'SELECT count(*) AS n FROM events WHERE gateway_id = ? AND seq > ?',
    [gatewayId, watermark],
  );

  // Apply strictly in seq order, so a ticket's updates never overtake its opening. Events held
  // behind an earlier gap come from the table.
  const applying: OutboxEvent[] = [];
  let fromTable = false;
  for (let seq = watermark + 1; ; seq++) {
    let event = fresh.get(seq);
    if (!event && heldBefore?.n) {
      event = await storedEvent(tx, gatewayId, seq);
      fromTable ||= event !== undefined;
    }
    if (!event) break;
    applying.push(event);
  }
  const ackedSeq = watermark + applying.length;
  // An applied event lives on in its ticket; only events held behind a gap need their body kept.
  // Not writing a ticket snapshot per event is most of what a durable batch costs.
  const inserted = await insertEvents(tx, gatewayId, [...fresh.values()], ackedSeq, now);
  if (fromTable) {
    await tx.run("UPDATE events SET body = '' WHERE gateway_id = ? AND seq > ? AND seq <= ? AND body <> ''", [
      gatewayId,
      watermark,
      ackedSeq,
    ]);
  }
  const received = inserted;
  const duplicates = events.length - received;
  const applied = applying.length;

  // Each ticket is written once, in its final state.
  const changed = new Map<string, { ticket: Ticket; opened: boolean; cleared: boolean }>();
  for (const event of applying) {
    const before = changed.get(event.ticket.id);
    changed.set(event.ticket.id, {
      ticket: event.ticket,
      opened: (before?.opened ?? false) || event.type === 'ticket.opened',
      cleared: (before?.cleared ?? false) || event.type === 'ticket.cleared',
    });
  }
  for (const { ticket, opened, cleared } of changed.values()) {
    await saveEdgeTicket(tx, ticket, now);
    if (opened)
      await audit(tx, ticket.id, ticket.firstSeen, `gateway:${gatewayId}`, 'opened', {
        title: ticket.title,
        severity: ticket.severity,
      });
    if (cleared) await audit(tx, ticket.id, ticket.clearedAt ?? now, `gateway:${gatewayId}`, 'cleared', {});
  }
  // Held now: those held before and not applied, plus this batch's beyond the watermark.
  const heldNow = await heldAfter(tx, gatewayId, ackedSeq, Number(heldBefore?.n ?? 0) > 0, fresh);
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
  return { ackedSeq, applied, duplicates, heldBehindGap: heldNow };
}

const REPORTED_BACKLOG_COLUMNS =
  ', reported_pending = ?, reported_last_seq = ?, reported_oldest_pending_age_ms = ?';

async function heldAfter(
  tx: SqlExecutor,
  gatewayId: string,
  ackedSeq: number,
  heldBefore: boolean,
  fresh: Map<number, OutboxEvent>,
): Promise<number> {
  if (!heldBefore) return [...fresh.keys()].filter((seq) => seq > ackedSeq).length;
  const row = await tx.get<{ n: number }>(
    'SELECT count(*) AS n FROM events WHERE gateway_id = ? AND seq > ?',
    [gatewayId, ackedSeq],
  );
  return Number(row?.n ?? 0);
}

/** Inserts the events not stored yet (bodies only above the watermark); returns how many were new. */
async function insertEvents(
  tx: SqlExecutor,
  gatewayId: string,
  events: OutboxEvent[],
  ackedSeq: number,
  now: string,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < events.length; i += INSERT_CHUNK) {
    const chunk = events.slice(i, i + INSERT_CHUNK);
    inserted += await tx.run(
      `INSERT INTO events (gateway_id, seq, type, ticket_id, at, received_at, body)
         VALUES ${rowPlaceholders(chunk.length, 7)} ON CONFLICT DO NOTHING`,
      chunk.flatMap((e) => [
        gatewayId,
        e.seq,
        e.type,
        e.ticket.id,
        e.at,
        now,
        e.seq > ackedSeq ? JSON.stringify(e) : '',
      ]),
    );
  }
  return inserted;
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
  return row ? (JSON.parse(row.body) as OutboxEvent) : undefined;
}

async function saveEdgeTicket(tx: SqlExecutor, ticket: Ticket, now: string): Promise<void> {
  await tx.run(
    `INSERT INTO tickets (id, gateway_id, site, asset_id, fault, severity, severity_rank, status, updated_at,
         body, due_at, opened_at, rule_id, rule_version, predicted)
       VALUES (${placeholders(15)})
       ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, severity_rank = excluded.severity_rank,
         updated_at = excluded.updated_at, body = excluded.body, due_at = excluded.due_at,
         predicted = excluded.predicted`,
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
    ],
  );
}

/** One line of a ticket's audit trail: who, when, what. */
export async function audit(
  tx: SqlExecutor,
  ticketId: string,
  at: string,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await tx.run('INSERT INTO ticket_audit (ticket_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)', [
    ticketId,
    at,
    actor,
    action,
    JSON.stringify(detail),
  ]);
}
