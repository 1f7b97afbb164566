import type { Severity, TicketStatus } from '../../shared/schema/index.js';
import { placeholders, type SqlDatabase, type SqlValue } from '../store/sql-database.js';
import type { ReportMove, ReportTicket } from './maintenance-report.js';
import { OPEN_STATUSES } from './ticket-lifecycle.js';

export interface ReportHistoryFilter {
  fromMs: number;
  toMs: number;
  /** undefined: every site (an admin or an all-sites user). */
  sites?: readonly string[];
  site?: string;
}

/**
 * Times are stored as the edge wrote them (ISO 8601, possibly with an offset), so the SQL bounds
 * are widened by a day and the exact range is applied on parsed times by the report.
 */
const MARGIN_MS = 86_400_000;

/**
 * The tickets a report over a range needs, with their lifecycle moves: those opened before its end
 * and not closed before its start (a ticket's last review change is after its closing, so one
 * reviewed before the start was closed by then). Bounded by the range, not by the whole history.
 */
export async function readReportHistory(
  db: SqlDatabase,
  filter: ReportHistoryFilter,
): Promise<{ tickets: ReportTicket[]; moves: ReportMove[] }> {
  const where = [
    'opened_at < ?',
    `(status IN (${placeholders(OPEN_STATUSES.length)}) OR review_updated_at IS NULL OR review_updated_at >= ?)`,
  ];
  const params: SqlValue[] = [
    new Date(filter.toMs + MARGIN_MS).toISOString(),
    ...OPEN_STATUSES,
    new Date(filter.fromMs - MARGIN_MS).toISOString(),
  ];
  if (filter.sites) {
    where.push(`site IN (${placeholders(filter.sites.length) || 'NULL'})`);
    params.push(...filter.sites);
  }
  if (filter.site !== undefined) {
    where.push('site = ?');
    params.push(filter.site);
  }
  const condition = where.join(' AND ');
  const rows = await db.all<{
    id: string;
    site: string;
    asset_id: string;
    severity: Severity;
    status: TicketStatus;
    due_at: string;
    opened_at: string;
    outcome: string | null;
    lead_time_ms: number | null;
    review_updated_at: string | null;
  }>(
    `SELECT id, site, asset_id, severity, status, due_at, opened_at, outcome, lead_time_ms, review_updated_at
       FROM tickets WHERE ${condition}`,
    params,
  );
  const audit = await db.all<{ ticket_id: string; at: string; actor: string; detail: string }>(
    `SELECT ticket_id, at, actor, detail FROM ticket_audit
       WHERE action = 'transition' AND ticket_id IN (SELECT id FROM tickets WHERE ${condition})
       ORDER BY id`,
    params,
  );
  const tickets = rows.map((r) => ({
    id: r.id,
    site: r.site,
    assetId: r.asset_id,
    severity: r.severity,
    status: r.status,
    dueAtMs: Date.parse(r.due_at),
    openedAtMs: Date.parse(r.opened_at),
    outcome: r.outcome,
    leadTimeMs: r.lead_time_ms,
    reviewedAtMs: r.review_updated_at === null ? null : Date.parse(r.review_updated_at),
  }));
  const moves = audit.map((a) => {
    const detail = JSON.parse(a.detail) as { from: TicketStatus; to: TicketStatus };
    return {
      ticketId: a.ticket_id,
      atMs: Date.parse(a.at),
      actor: a.actor,
      from: detail.from,
      to: detail.to,
    };
  });
  return { tickets, moves };
}
