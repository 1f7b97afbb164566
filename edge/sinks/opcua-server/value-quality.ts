import type { AssetHealth } from '../../status/asset-health.js';

/** The OPC-UA status codes a measured value is served with, by name (node-opcua stays out of here). */
export type ValueQuality =
  'Good' | 'UncertainLastUsableValue' | 'BadNoCommunication' | 'BadWaitingForInitialData';

/**
 * How trustworthy a value measured on the asset (ISO zone, velocity, findings, last data time) is
 * now. A PLC acts on Good values only, so a value the agent no longer sees being refreshed must not
 * stay Good: older than `staleAfterMs` it is the last usable one; never received, there is none.
 * The agent's own judgements (HealthState, NE 107, open tickets) are always current and Good.
 */
export function measuredQuality(
  health: Pick<AssetHealth, 'lastDataAt'>,
  hasValue: boolean,
  now: number,
  staleAfterMs: number,
): ValueQuality {
  if (health.lastDataAt === undefined) return 'BadNoCommunication';
  if (!hasValue) return 'BadWaitingForInitialData';
  return now - health.lastDataAt > staleAfterMs ? 'UncertainLastUsableValue' : 'Good';
}
