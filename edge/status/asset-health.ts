import type { Features, IsoZone, Severity, Ticket } from '../../shared/schema/index.js';

/**
 * NAMUR NE 107 status signals, the vocabulary a PLC, a SCADA or an Ignition-style host already
 * shows for field devices. `check_function` is used for "no current data": the value is
 * temporarily not valid, which is not a machine fault.
 */
export type Ne107Status =
  'normal' | 'maintenance_required' | 'out_of_specification' | 'failure' | 'check_function';

/** Plain words for people: what the console and the README use. */
export type HealthState = 'healthy' | 'watch' | 'alarm' | 'unknown';

/** One asset's condition as the agent sees it now: what the Sparkplug node and the OPC-UA server publish. */
export interface AssetHealth {
  assetId: string;
  state: HealthState;
  ne107: Ne107Status;
  /** Worst ISO 20816 zone over the asset's vibration channels, when any has been analysed. */
  isoZone?: IsoZone;
  /** Largest velocity RMS over the asset's channels, mm/s. */
  velocityRmsMmS?: number;
  /** Findings of the latest analysis, strongest confidence per fault over the asset's channels. */
  findings: { fault: string; confidence: number }[];
  openTickets: number;
  /** The most severe open ticket's severity. */
  worstSeverity?: Severity;
  /** Wall time (ms) the agent last received a good value from the asset, when any. */
  lastDataAt?: number;
}

export interface AssetHealthInputs {
  /** Every asset the agent knows: configured ones, and those it has data or tickets for. */
  assetIds: readonly string[];
  latestFeatures: readonly Features[];
  /**
   * Wall time (ms) of each channel's last good value or analysed waveform (`LatestSignals.channels()`);
   * a channel only expected (a mapping that never delivered) does not make its asset's data current.
   */
  channels: Iterable<{ assetId: string; lastGoodAt: number; heard?: boolean }>;
  openTickets: readonly Ticket[];
  /** Wall clock now, ms. */
  now: number;
  /** Data older than this makes the asset `unknown` when it has no open ticket either. */
  staleAfterMs: number;
}

/** A finding's confidence that counts as a finding to act on (the default rules fire at 0.5). */
const FINDING_CONFIDENCE = 0.5;

const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high', 'critical'];
const ZONE_ORDER: IsoZone[] = ['A', 'B', 'C', 'D'];

/**
 * Health of every asset from what the agent already holds (latest features and readings, open
 * tickets). Alarm: zone D, or an open high/critical ticket. Watch: zone C, an open ticket, or a
 * finding at confidence ≥ 0.5. Unknown: no current data and nothing open. Healthy otherwise.
 */
export function assetHealth(inputs: AssetHealthInputs): AssetHealth[] {
  const ids = new Set(inputs.assetIds);
  for (const f of inputs.latestFeatures) ids.add(f.assetId);
  for (const t of inputs.openTickets) ids.add(t.assetId);
  const lastGoodAt = new Map<string, number>();
  for (const { assetId, lastGoodAt: at, heard } of inputs.channels) {
    ids.add(assetId);
    if (heard === false) continue;
    lastGoodAt.set(assetId, Math.max(at, lastGoodAt.get(assetId) ?? at));
  }
  return [...ids].sort().map((assetId) => healthOf(assetId, lastGoodAt.get(assetId), inputs));
}

function healthOf(assetId: string, lastDataAt: number | undefined, inputs: AssetHealthInputs): AssetHealth {
  const features = inputs.latestFeatures.filter((f) => f.assetId === assetId);
  const tickets = inputs.openTickets.filter((t) => t.assetId === assetId);

  const zones = features.flatMap((f) => (f.isoZone ? [f.isoZone] : []));
  const isoZone = zones.length
    ? zones.reduce((a, b) => (ZONE_ORDER.indexOf(b) > ZONE_ORDER.indexOf(a) ? b : a))
    : undefined;
  const velocities = features.map((f) => f.velocityRmsMmS).filter((v) => Number.isFinite(v));
  const strongest = new Map<string, number>();
  for (const f of features)
    for (const [fault, confidence] of Object.entries(f.findings ?? {}))
      strongest.set(fault, Math.max(confidence, strongest.get(fault) ?? 0));
  const findings = [...strongest]
    .map(([fault, confidence]) => ({ fault, confidence }))
    .sort((a, b) => b.confidence - a.confidence || a.fault.localeCompare(b.fault));
  const worstSeverity = tickets.length
    ? tickets
        .map((t) => t.severity)
        .reduce((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a))
    : undefined;
  const current = lastDataAt !== undefined && inputs.now - lastDataAt <= inputs.staleAfterMs;

  const severe = worstSeverity === 'high' || worstSeverity === 'critical';
  const acting = findings.some((f) => f.confidence >= FINDING_CONFIDENCE);
  let state: HealthState;
  let ne107: Ne107Status;
  if ((current && isoZone === 'D') || worstSeverity === 'critical') [state, ne107] = ['alarm', 'failure'];
  else if (severe) [state, ne107] = ['alarm', 'out_of_specification'];
  else if (current && isoZone === 'C') [state, ne107] = ['watch', 'out_of_specification'];
  else if (tickets.length > 0 || (current && acting)) [state, ne107] = ['watch', 'maintenance_required'];
  else if (!current) [state, ne107] = ['unknown', 'check_function'];
  else [state, ne107] = ['healthy', 'normal'];

  return {
    assetId,
    state,
    ne107,
    ...(isoZone ? { isoZone } : {}),
    ...(velocities.length ? { velocityRmsMmS: Math.max(...velocities) } : {}),
    findings,
    openTickets: tickets.length,
    ...(worstSeverity ? { worstSeverity } : {}),
    ...(lastDataAt !== undefined ? { lastDataAt } : {}),
  };
}
