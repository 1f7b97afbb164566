import { mean, median } from 'simple-statistics';
import type {
  DurationStats,
  Judgement,
  MaintenanceReport,
  ReportBucket,
  ReportBucketRow,
  Severity,
  TicketStatus,
} from '../../shared/schema/index.js';
import { OPEN_STATUSES } from './ticket-lifecycle.js';

/**
 * Pure: a maintenance report from the tickets of a range and their lifecycle moves. Computed here
 * rather than in SQL because each figure needs a ticket's history (status at a moment, the first
 * acknowledgement, the last resolve) read from the audit trail's JSON, medians, and UTC weeks and
 * months, each of which the two SQL dialects spell differently.
 */

export interface ReportTicket {
  id: string;
  site: string;
  assetId: string;
  severity: Severity;
  status: TicketStatus;
  dueAtMs: number;
  openedAtMs: number;
  outcome: string | null;
  leadTimeMs: number | null;
  /** The last review change: when an imported ticket, which has no moves, was closed. */
  reviewedAtMs: number | null;
}

export interface ReportMove {
  ticketId: string;
  atMs: number;
  actor: string;
  from: TicketStatus;
  to: TicketStatus;
}

export interface ReportRange {
  fromMs: number;
  toMs: number;
  nowMs: number;
  bucket: ReportBucket;
  site?: string;
}

/** More buckets than a table or chart can show: the route refuses the range, naming the bucket. */
export const MAX_BUCKETS = 400;
export const TOP_ASSETS = 10;

const DAY_MS = 86_400_000;

/** The start of the bucket holding `ms` (UTC; weeks start on Monday, as ISO 8601 weeks do). */
export function bucketStart(ms: number, bucket: ReportBucket): number {
  const d = new Date(ms);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (bucket === 'day') return day;
  if (bucket === 'week') return day - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextBucket(start: number, bucket: ReportBucket): number {
  if (bucket === 'day') return start + DAY_MS;
  if (bucket === 'week') return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The buckets covering [from, to), the first and last clipped to the range. */
export function bucketBounds(fromMs: number, toMs: number, bucket: ReportBucket): [number, number][] {
  const bounds: [number, number][] = [];
  for (let start = bucketStart(fromMs, bucket); start < toMs; start = nextBucket(start, bucket)) {
    bounds.push([Math.max(start, fromMs), Math.min(nextBucket(start, bucket), toMs)]);
    if (bounds.length > MAX_BUCKETS) break;
  }
  return bounds;
}

const isOpen = (status: TicketStatus) => OPEN_STATUSES.includes(status);

/**
 * The actor of the one move an imported ticket is given (no username has brackets): its history is
 * unknown, so that move is no response.
 */
const IMPORTED = '(import)';
const byPerson = (move: ReportMove) => move.actor !== IMPORTED && !move.actor.startsWith('gateway:');

/** A ticket's lifecycle: its status just before any moment, its acknowledgement and its repair. */
class Timeline {
  private readonly moves: ReportMove[];

  constructor(
    readonly ticket: ReportTicket,
    moves: ReportMove[],
  ) {
    // An imported ticket has no moves: it became what it is when it was last reviewed.
    this.moves =
      moves.length === 0 && ticket.status !== 'new'
        ? [
            {
              ticketId: ticket.id,
              atMs: ticket.reviewedAtMs ?? ticket.openedAtMs,
              actor: IMPORTED,
              from: 'new',
              to: ticket.status,
            },
          ]
        : moves;
  }

  /** The status just before `ms`, undefined before the ticket opened. */
  statusBefore(ms: number): TicketStatus | undefined {
    if (this.ticket.openedAtMs >= ms) return undefined;
    let status: TicketStatus = 'new';
    for (const move of this.moves) {
      if (move.atMs >= ms) break;
      status = move.to;
    }
    return status;
  }

  openBefore(ms: number): boolean {
    const status = this.statusBefore(ms);
    return status !== undefined && isOpen(status);
  }

  /** Opening to the first move out of `new` a person made (a gateway folding it is no response). */
  acknowledgeMs(asOfMs: number): number | undefined {
    const move = this.moves.find((m) => m.from === 'new' && byPerson(m) && m.atMs < asOfMs);
    return move && move.atMs - this.ticket.openedAtMs;
  }

  /** Opening to the last resolve, for a ticket resolved or closed at asOf (a reopened one is not repaired). */
  repairMs(asOfMs: number): number | undefined {
    const status = this.statusBefore(asOfMs);
    if (status !== 'resolved' && status !== 'closed') return undefined;
    const resolve = this.moves.filter((m) => m.to === 'resolved' && m.atMs < asOfMs).at(-1);
    const at = resolve?.atMs ?? this.ticket.reviewedAtMs;
    return at === null ? undefined : at - this.ticket.openedAtMs;
  }
}

function durationStats(values: number[]): DurationStats {
  return values.length
    ? { count: values.length, meanMs: mean(values), medianMs: median(values) }
    : { count: 0 };
}

/** The track record's definitions (review-store trackRecord) over a set of tickets. */
export function judgement(tickets: ReportTicket[]): Judgement {
  const confirmed = tickets.filter((t) => t.outcome === 'confirmed');
  const falsePositives = tickets.filter((t) => t.outcome === 'false_positive').length;
  const leadTimes = confirmed.flatMap((t) => (t.leadTimeMs === null ? [] : [t.leadTimeMs]));
  return {
    confirmed: confirmed.length,
    falsePositives,
    ...(confirmed.length + falsePositives > 0
      ? { precision: confirmed.length / (confirmed.length + falsePositives) }
      : {}),
    ...(leadTimes.length ? { medianLeadTimeMs: median(leadTimes) } : {}),
    leadTimeSamples: leadTimes.length,
  };
}

const noSeverities = (): Record<Severity, number> => ({ critical: 0, high: 0, medium: 0, low: 0 });
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The report. `tickets` must hold every ticket that was open at some moment of the range or opened
 * in it (more does no harm), `moves` their lifecycle moves in the order they were made.
 */
export function maintenanceReport(
  range: ReportRange,
  tickets: ReportTicket[],
  moves: ReportMove[],
): MaintenanceReport {
  const asOfMs = Math.min(range.toMs, range.nowMs);
  const movesOf = new Map<string, ReportMove[]>();
  for (const move of moves) {
    const list = movesOf.get(move.ticketId) ?? [];
    list.push(move);
    movesOf.set(move.ticketId, list);
  }
  const timelines = tickets.map((t) => new Timeline(t, movesOf.get(t.id) ?? []));
  const openAtEnd = timelines.filter((t) => t.openBefore(asOfMs));
  const inRange = timelines.filter(
    (t) => t.ticket.openedAtMs >= range.fromMs && t.ticket.openedAtMs < range.toMs,
  );

  const openBySeverity = noSeverities();
  const bySite = new Map<string, Record<Severity, number>>();
  for (const { ticket } of openAtEnd) {
    openBySeverity[ticket.severity]++;
    const counts = bySite.get(ticket.site) ?? noSeverities();
    counts[ticket.severity]++;
    bySite.set(ticket.site, counts);
  }
  const openBySite = [...bySite]
    .map(([site, counts]) => ({
      site,
      total: counts.critical + counts.high + counts.medium + counts.low,
      ...counts,
    }))
    .sort((a, b) => b.total - a.total || a.site.localeCompare(b.site));

  const buckets: ReportBucketRow[] = bucketBounds(range.fromMs, range.toMs, range.bucket).map(
    ([start, end]) => {
      const opened = inRange.filter((t) => t.ticket.openedAtMs >= start && t.ticket.openedAtMs < end);
      const at = Math.min(end, range.nowMs);
      return {
        start: iso(start),
        end: iso(end),
        opened: opened.length,
        backlog: timelines.filter((t) => t.openBefore(at)).length,
        ...judgement(opened.map((t) => t.ticket)),
      };
    },
  );

  const assets = new Map<string, { assetId: string; site: string; tickets: number; open: number }>();
  for (const t of inRange) {
    const key = `${t.ticket.site}\u0000${t.ticket.assetId}`;
    const row = assets.get(key) ?? { assetId: t.ticket.assetId, site: t.ticket.site, tickets: 0, open: 0 };
    row.tickets++;
    if (t.openBefore(asOfMs)) row.open++;
    assets.set(key, row);
  }
  const topAssets = [...assets.values()]
    .sort((a, b) => b.tickets - a.tickets || b.open - a.open || a.assetId.localeCompare(b.assetId))
    .slice(0, TOP_ASSETS);

  return {
    from: iso(range.fromMs),
    to: iso(range.toMs),
    asOf: iso(asOfMs),
    bucket: range.bucket,
    ...(range.site !== undefined ? { site: range.site } : {}),
    open: openAtEnd.length,
    overdue: openAtEnd.filter((t) => t.ticket.dueAtMs < asOfMs).length,
    openBySeverity,
    openBySite,
    acknowledge: durationStats(inRange.flatMap((t) => t.acknowledgeMs(asOfMs) ?? [])),
    repair: durationStats(inRange.flatMap((t) => t.repairMs(asOfMs) ?? [])),
    judgement: judgement(inRange.map((t) => t.ticket)),
    buckets,
    topAssets,
  };
}
