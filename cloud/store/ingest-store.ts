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

/** Events of one multi-row insert; 7 values each stays far below both databases' parameter limits. */
const INSERT_CHUNK = 500;

/**
 * The gateways' side of the store: outbox events applied idempotently by (gatewayId, seq), in seq
 * order, into tickets. Only edge-owned ticket columns are written here; status, assignee and
 * close-out belong to engineers and are never touched by a replay.
 */
export class IngestStore {
  constructor(private readonly db: SqlDatabase) {}

  applyEvents(gatewayId: string, events: OutboxEvent[], backlog?: GatewayBacklog): Promise<ApplyResult> {
    return this.db.transaction((tx) => applyInTransaction(tx, gatewayId, events, backlog));
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
  await tx.run('INSERT INTO gateways (gateway_id) VALUES (?) ON CONFLICT DO NOTHING', [gatewayId]);
  // The update locks the gateway's row (PostgreSQL): two instances given the same gateway's
  // batches apply them one after the other, so the watermark never goes backwards.
  const locked = await tx.get<{ acked_seq: number }>(
    'UPDATE gateways SET last_seen = ? WHERE gateway_id = ? RETURNING acked_seq',
    [now, gatewayId],
  );
  let ackedSeq = locked?.acked_seq ?? 0;
  const fresh = events.filter((e) => e.seq > ackedSeq);
  const inserted = await insertEvents(tx, gatewayId, fresh, now);
  const received = inserted.size;
  const duplicates = events.length - received;

  // Apply strictly in seq order, so a ticket's updates never overtake its opening. Events held
  // behind an earlier gap come from the table; each ticket is written once, in its final state.
  const inBatch = new Map(fresh.filter((e) => inserted.has(e.seq)).map((e) => [e.seq, e]));
  const changed = new Map<string, { ticket: Ticket; opened: boolean; cleared: boolean }>();
  let applied = 0;
  for (;;) {
    const seq = ackedSeq + 1;
    const event = inBatch.get(seq) ?? (await storedEvent(tx, gatewayId, seq));
    if (!event) break;
    const before = changed.get(event.ticket.id);
    changed.set(event.ticket.id, {
      ticket: event.ticket,
      opened: (before?.opened ?? false) || event.type === 'ticket.opened',
      cleared: (before?.cleared ?? false) || event.type === 'ticket.cleared',
    });
    ackedSeq = seq;
    applied++;
  }
  for (const { ticket, opened, cleared } of changed.values()) {
    await saveEdgeTicket(tx, ticket, now);
    if (opened) await audit(tx, ticket.id, ticket.firstSeen, `gateway:${gatewayId}`, 'opened', { title: ticket.title, severity: ticket.severity });
    if (cleared) await audit(tx, ticket.id, ticket.clearedAt ?? now, `gateway:${gatewayId}`, 'cleared', {});
  }
  const held = await tx.get<{ n: number }>('SELECT count(*) AS n FROM events WHERE gateway_id = ? AND seq > ?', [
    gatewayId,
    ackedSeq,
  ]);
  await tx.run(
    `UPDATE gateways SET acked_seq = ?, events_received = events_received + ?,
       duplicates_ignored = duplicates_ignored + ? WHERE gateway_id = ?`,
    [ackedSeq, received, duplicates, gatewayId],
  );
  if (backlog) {
    await tx.run(
      `UPDATE gateways SET reported_pending = ?, reported_last_seq = ?, reported_oldest_pending_age_ms = ?
         WHERE gateway_id = ?`,
      [backlog.pending, backlog.lastSeq, backlog.oldestPendingAgeMs ?? null, gatewayId],
    );
  }
  return { ackedSeq, applied, duplicates, heldBehindGap: held?.n ?? 0 };
}

/** Inserts the events not stored yet; returns the seqs that were new. */
async function insertEvents(
  tx: SqlExecutor,
  gatewayId: string,
  events: OutboxEvent[],
  now: string,
): Promise<Set<number>> {
  const inserted = new Set<number>();
  for (let i = 0; i < events.length; i += INSERT_CHUNK) {
    const chunk = events.slice(i, i + INSERT_CHUNK);
    const rows = await tx.all<{ seq: number }>(
      `INSERT INTO events (gateway_id, seq, type, ticket_id, at, received_at, body)
         VALUES ${rowPlaceholders(chunk.length, 7)} ON CONFLICT DO NOTHING RETURNING seq`,
      chunk.flatMap((e) => [gatewayId, e.seq, e.type, e.ticket.id, e.at, now, JSON.stringify(e)]),
    );
    for (const row of rows) inserted.add(Number(row.seq));
  }
  return inserted;
}

async function storedEvent(tx: SqlExecutor, gatewayId: string, seq: number): Promise<OutboxEvent | undefined> {
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
