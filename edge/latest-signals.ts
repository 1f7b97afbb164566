import type { Features, Reading } from '../shared/schema/index.js';

interface LatestReading {
  value: number;
  ts: number;
  unit: string;
  good: boolean;
}

interface AssetState {
  readings: Map<string, LatestReading>;
  features: Map<string, Features>;
  /** Wall time of the last good value per channel: silence is measured on the wall clock, as data time stops with the data. */
  lastGoodAt: Map<string, number>;
}

/**
 * The latest value of every signal of every asset: what the signal step reads (an asset's speed
 * channel) and what rule conditions read. The pipeline feeds it; the rule engine is given it.
 */
export class LatestSignals {
  private readonly assets = new Map<string, AssetState>();

  private asset(assetId: string): AssetState {
    let state = this.assets.get(assetId);
    if (!state) {
      state = { readings: new Map(), features: new Map(), lastGoodAt: new Map() };
      this.assets.set(assetId, state);
    }
    return state;
  }

  recordReading(reading: Reading, wallNow: number): void {
    const state = this.asset(reading.assetId);
    // Only `good` values count; uncertain or bad values are kept as such so conditions see them as unknown.
    const good = (reading.quality ?? 'good') === 'good';
    const latest = { value: reading.value, ts: reading.ts, unit: reading.unit, good };
    state.readings.set(reading.channel, latest);
    // Conditions write '-' in channel ids as '_': keep the value under that name too, once per reading rather than per lookup.
    if (reading.channel.includes('-')) state.readings.set(reading.channel.replaceAll('-', '_'), latest);
    if (good || !state.lastGoodAt.has(reading.channel)) state.lastGoodAt.set(reading.channel, wallNow);
  }

  recordFeatures(features: Features, wallNow: number): void {
    const state = this.asset(features.assetId);
    state.features.set(features.channel, features);
    state.lastGoodAt.set(features.channel, wallNow);
  }

  /**
   * A channel the config says exists (an OPC-UA node mapping) is watched for silence from `wallNow`
   * on, even if it never delivers a single value.
   */
  expect(assetId: string, channel: string, wallNow: number): void {
    const state = this.asset(assetId);
    if (!state.lastGoodAt.has(channel)) state.lastGoodAt.set(channel, wallNow);
  }

  reading(assetId: string, channel: string): LatestReading | undefined {
    return this.assets.get(assetId)?.readings.get(channel);
  }

  features(assetId: string, channel: string): Features | undefined {
    return this.assets.get(assetId)?.features.get(channel);
  }

  /**
   * Every channel heard from at least once or expected, with the wall time of its last good value
   * (for a channel only expected so far: the time it began to be watched) and whether it was heard.
   */
  *channels(): Generator<{ assetId: string; channel: string; lastGoodAt: number; heard: boolean }> {
    for (const [assetId, state] of this.assets) {
      for (const [channel, lastGoodAt] of state.lastGoodAt) {
        const heard = state.readings.has(channel) || state.features.has(channel);
        yield { assetId, channel, lastGoodAt, heard };
      }
    }
  }
}
