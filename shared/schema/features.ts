import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId, EpochMs } from './reading.js';

/** Condition indicators computed from one waveform window. Fields added later stay optional. */
export const Features = Type.Object(
  {
    ts: EpochMs,
    assetId: AssetId,
    channel: ChannelId,
    windowStart: EpochMs,
    windowEnd: EpochMs,
    sampleRateHz: Type.Number(),
    accelUnit: Type.String(),
    accelRms: Type.Number({ description: 'acceleration RMS, in accelUnit' }),
    accelPeak: Type.Number({ description: 'largest absolute acceleration, in accelUnit' }),
    velocityRmsMmS: Type.Number({ description: 'velocity RMS in mm/s, 10–1000 Hz (ISO 20816 band)' }),
    crestFactor: Type.Number(),
    kurtosis: Type.Number({ description: 'Pearson kurtosis (3 for Gaussian noise)' }),
    rpm: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type Features = Static<typeof Features>;

/** Feature names a rule may refer to: the numeric fields of Features that describe the machine. */
export const FEATURE_METRICS = [
  'accelRms',
  'accelPeak',
  'velocityRmsMmS',
  'crestFactor',
  'kurtosis',
] as const;
export type FeatureMetric = (typeof FEATURE_METRICS)[number];
