import type { IsoZone } from './schema/features.js';
import type { Prediction, Severity } from './schema/index.js';

export interface ZoneUrgency {
  /** The least severity of a ticket raised while the machine runs in this zone. */
  severity?: Severity;
  /** Act within this long of seeing the zone: the ticket is due by then at the latest. */
  actWithinHours?: number;
  /** What the zone means for the machine, in words an operator acts on. */
  advice: string;
}

/**
 * ISO 20816 zones and what they demand. One table, read by the edge's rules (severity), its tickets
 * (due date), the SOPs (rules/vibration.yaml says "zone D: within 24 h") and the console's health
 * card, so a zone-D ticket never says "act now" on one screen and "due in 3 days" on another.
 */
export const ZONE_URGENCY: Record<IsoZone, ZoneUrgency> = {
  A: { advice: 'acceptable for long-term operation' },
  B: { advice: 'acceptable for long-term operation' },
  C: {
    severity: 'medium',
    actWithinHours: 14 * 24,
    advice: 'restricted operation: plan the repair within 14 days',
  },
  D: { severity: 'high', actWithinHours: 24, advice: 'damage likely: act within 24 h' },
};

const HOUR_MS = 3_600_000;

/**
 * When a ticket is due: its severity's SLA from when it was seen, brought forward by the zone the
 * machine is in and by a prediction (the earliest the threshold may be crossed), never moved back
 * past a due date it already had.
 */
export function dueDate(options: {
  severity: Severity;
  fromMs: number;
  slaMs: Record<Severity, number>;
  isoZone?: IsoZone | undefined;
  prediction?: Pick<Prediction, 'intervalStart'> | undefined;
  previousDueMs?: number | undefined;
}): number {
  const { severity, fromMs, slaMs, isoZone, prediction, previousDueMs } = options;
  const deadlines = [fromMs + slaMs[severity]];
  const zoneHours = isoZone ? ZONE_URGENCY[isoZone].actWithinHours : undefined;
  if (zoneHours !== undefined) deadlines.push(fromMs + zoneHours * HOUR_MS);
  const earliestCrossing = prediction ? Date.parse(prediction.intervalStart) : NaN;
  // A crossing predicted for the past (a stale fit) does not make a ticket overdue the moment it opens.
  if (Number.isFinite(earliestCrossing)) deadlines.push(Math.max(fromMs, earliestCrossing));
  if (previousDueMs !== undefined && Number.isFinite(previousDueMs)) deadlines.push(previousDueMs);
  return Math.min(...deadlines);
}
