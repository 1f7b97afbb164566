import type { Features } from '../../shared/schema/index.js';

/** One second-long window of features with a given velocity RMS; the rest at healthy values. */
export const velocityWindow = (
  windowStart: number,
  velocityRmsMmS: number,
  assetId = 'pump-1',
): Features => ({
  ts: windowStart,
  assetId,
  channel: 'de',
  windowStart,
  windowEnd: windowStart + 1000,
  sampleRateHz: 12_800,
  accelUnit: 'g',
  accelRms: 0.1,
  accelPeak: 0.3,
  velocityRmsMmS,
  crestFactor: 3,
  kurtosis: 3,
});
