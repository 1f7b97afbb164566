import type { Severity } from '../../shared/schema/ticket.js';
import { HEALTH_STATES, type HealthState } from './plant-types.js';

/** Telemetry older than this says nothing about the machine now (the edge summarises every 10 s). */
export const STALE_AFTER_HOURS = 6;
const HOUR_MS = 3_600_000;

const ZONES = ['A', 'B', 'C', 'D'] as const;
export type IsoZone = (typeof ZONES)[number];

/** The edge sends the zone as `isoZoneIndex` 0…3; anything else is no zone. */
export function isoZoneOf(index: number): IsoZone | undefined {
  return ZONES[Math.round(index)];
}

/** ISO 20816: A/B acceptable for long-term operation, C restricted (plan), D damage likely. */
const ZONE_STATE: Record<IsoZone, HealthState> = { A: 'healthy', B: 'healthy', C: 'watch', D: 'alarm' };

export interface HealthEvidence {
  nowMs: number;
  /** Worst channel's newest zone. */
  zone?: { zone: IsoZone; channel: string; ts: number; velocityMmS?: number };
  openTickets: number;
  highestOpenSeverity?: Severity;
  /** Newest telemetry of any channel. */
  lastTelemetryMs?: number;
}

export interface Health {
  state: HealthState;
  reasons: string[];
}

const worse = (a: HealthState, b: HealthState): HealthState =>
  HEALTH_STATES.indexOf(a) <= HEALTH_STATES.indexOf(b) ? a : b;

function ago(ms: number): string {
  const hours = ms / HOUR_MS;
  return hours < 48 ? `${Math.floor(hours)} h` : `${Math.floor(hours / 24)} days`;
}

/**
 * An asset's health in plain words, and why: the worst of its current ISO zone and its open
 * tickets (any open ticket is at least watch, a high or critical one alarm). With neither current
 * telemetry nor an open ticket nothing is known about it now: unknown, never a hopeful healthy.
 */
export function deriveHealth(evidence: HealthEvidence): Health {
  const staleMs = STALE_AFTER_HOURS * HOUR_MS;
  const current = (ts: number | undefined) => ts !== undefined && evidence.nowMs - ts <= staleMs;
  const reasons: string[] = [];
  let state: HealthState | undefined;

  const { zone } = evidence;
  if (zone && current(zone.ts)) {
    state = ZONE_STATE[zone.zone];
    // As the console shows it: at most two decimals, none trailing (2.1, not 2.10).
    const velocity = zone.velocityMmS === undefined ? '' : ` (${Number(zone.velocityMmS.toFixed(2))} mm/s)`;
    reasons.push(`ISO 20816 zone ${zone.zone} on ${zone.channel}${velocity}`);
  }
  if (evidence.openTickets > 0) {
    const severe = evidence.highestOpenSeverity === 'high' || evidence.highestOpenSeverity === 'critical';
    state = worse(state ?? 'healthy', severe ? 'alarm' : 'watch');
    const plural = evidence.openTickets === 1 ? 'ticket' : 'tickets';
    reasons.push(
      `${evidence.openTickets} open ${plural}, highest ${evidence.highestOpenSeverity ?? 'unknown severity'}`,
    );
  }
  if (state !== undefined) {
    if (evidence.openTickets === 0) reasons.push('no open tickets');
    return { state, reasons };
  }

  if (current(evidence.lastTelemetryMs)) return { state: 'healthy', reasons: ['reporting, no open tickets'] };
  const last = evidence.lastTelemetryMs;
  return {
    state: 'unknown',
    reasons: [
      last === undefined
        ? 'no telemetry received and no open tickets'
        : `no telemetry for ${ago(evidence.nowMs - last)} and no open tickets`,
    ],
  };
}
