import type { Severity, Ticket } from '../../shared/schema/index.js';
import { SEVERITY_RANK } from './ticket-lifecycle.js';

/**
 * Pure: whether an edge update made an open ticket more urgent (a "raise"), and how, in words.
 * A raise is a higher severity (e.g. ISO zone C → D: medium → high), or a prediction whose failure
 * time moved closer by more than the margin below. A lower severity or a later ETA is not news.
 */

/** The ticket as the cloud held it before the update. */
export interface BeforeRaise {
  severity: Severity;
  /** The prediction's ETA, if the ticket had one. */
  eta?: string | null;
}

export interface RaiseDetail {
  from: Severity;
  to: Severity;
  etaBefore?: string;
  etaAfter?: string;
  reason: string;
  [key: string]: unknown;
}

/**
 * An ETA raise must bring the failure closer by more than this share of the time that was left
 * (measured from the update), and by at least ETA_RAISE_MIN_MS: a trend refit moves the ETA a
 * little every window, which is not worth paging anyone for.
 */
export const ETA_RAISE_SHARE = 0.2;
export const ETA_RAISE_MIN_MS = 60 * 60_000;

const hours = (ms: number): string => {
  const h = ms / 3_600_000;
  return h >= 48 ? `${Math.round(h / 24)} d` : `${Math.round(h * 10) / 10} h`;
};

/** Whether the ETA moved closer by more than the margin, as seen at `atMs`. */
export function etaRaised(before: string, after: string, atMs: number): boolean {
  const beforeMs = Date.parse(before);
  const afterMs = Date.parse(after);
  const closerMs = beforeMs - afterMs;
  const leftMs = Math.max(beforeMs - atMs, 0);
  return closerMs >= ETA_RAISE_MIN_MS && closerMs > ETA_RAISE_SHARE * leftMs;
}

/** The raise an update is, or undefined when it is none. */
export function edgeRaise(before: BeforeRaise, after: Ticket, atMs: number): RaiseDetail | undefined {
  const severityUp = SEVERITY_RANK[after.severity] < SEVERITY_RANK[before.severity];
  const etaBefore = before.eta ?? undefined;
  const etaAfter = after.prediction?.eta;
  const closer = etaBefore !== undefined && etaAfter !== undefined && etaRaised(etaBefore, etaAfter, atMs);
  if (!severityUp && !closer) return undefined;
  const why = [
    ...(severityUp ? [`severity raised from ${before.severity} to ${after.severity}`] : []),
    ...(closer && etaBefore && etaAfter
      ? [
          `predicted failure moved ${hours(Date.parse(etaBefore) - Date.parse(etaAfter))} closer (${etaBefore} → ${etaAfter})`,
        ]
      : []),
  ];
  return {
    from: before.severity,
    to: after.severity,
    ...(closer && etaBefore && etaAfter ? { etaBefore, etaAfter } : {}),
    reason: `${why.join('; ')} at the edge`,
  };
}
