import type { Features, QualityReason, Reading } from '../../shared/schema/index.js';

/**
 * The reasons that say a reading's source is offline (a dead Sparkplug node or device, a lost
 * Modbus connection), not its sensor. A source that knows it is offline sends a bad-quality
 * reading with one of them for each of its channels (`isSourceOffline`).
 */
export const SOURCE_OFFLINE_REASONS: ReadonlySet<QualityReason> = new Set<QualityReason>([
  'node_death',
  'device_death',
  'connection_lost',
]);

/** A bad reading because its source is offline: bad quality, never a fault of the sensor. */
export function isSourceOffline(reading: Pick<Reading, 'quality' | 'qualityReason'>): boolean {
  return (
    reading.quality === 'bad' &&
    reading.qualityReason !== undefined &&
    SOURCE_OFFLINE_REASONS.has(reading.qualityReason)
  );
}

/** What a `noData` rule should make of one channel now. */
export type SilenceWatch =
  /** Its source is offline: the silence is the source's, unknown for the sensor. */
  | { offline: true }
  /** Watched as usual, from this wall time: its last good value, or when its source came back. */
  | { offline: false; since: number; sourceBackAt?: number };

/**
 * Which asset channels have an offline source, from the latest reading of each. A channel stays
 * offline until anything else arrives for it; then its silence is counted from that moment (or
 * from a newer good value), so the time the source was down never counts as a silent sensor.
 */
export class OfflineChannels {
  /** Per `assetId|channel`: offline, or back since this wall time with no good value since. */
  private readonly channels = new Map<string, { offline: boolean; at: number }>();

  onReading(reading: Reading, wallNow: number): void {
    const key = `${reading.assetId}|${reading.channel}`;
    if (isSourceOffline(reading)) {
      this.channels.set(key, { offline: true, at: wallNow });
      return;
    }
    if ((reading.quality ?? 'good') === 'good') this.channels.delete(key);
    else if (this.channels.get(key)?.offline) this.channels.set(key, { offline: false, at: wallNow });
  }

  /** A window's features: its channel is alive. */
  onFeatures(features: Features): void {
    this.channels.delete(`${features.assetId}|${features.channel}`);
  }

  watch(assetId: string, channel: string, lastGoodAt: number): SilenceWatch {
    const entry = this.channels.get(`${assetId}|${channel}`);
    if (!entry) return { offline: false, since: lastGoodAt };
    if (entry.offline) return { offline: true };
    return entry.at > lastGoodAt
      ? { offline: false, since: entry.at, sourceBackAt: entry.at }
      : { offline: false, since: lastGoodAt };
  }
}
