import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId, EpochMs } from './reading.js';

export const ISO_ZONES = ['A', 'B', 'C', 'D'] as const;
export const IsoZone = Type.Union(ISO_ZONES.map((z) => Type.Literal(z)));
export type IsoZone = Static<typeof IsoZone>;

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
    // From the diagnosis engine, present when the asset's shaft speed is known.
    isoZone: Type.Optional(IsoZone),
    order1xMmS: Type.Optional(Type.Number({ description: 'velocity RMS of the 1× line, mm/s' })),
    order2xMmS: Type.Optional(Type.Number({ description: 'velocity RMS of the 2× line, mm/s' })),
    order3xMmS: Type.Optional(Type.Number({ description: 'velocity RMS of the 3× line, mm/s' })),
    bpfoEnvelopeSnr: Type.Optional(
      Type.Number({ description: 'envelope line at BPFO over its noise floor' }),
    ),
    bpfiEnvelopeSnr: Type.Optional(
      Type.Number({ description: 'envelope line at BPFI over its noise floor' }),
    ),
    bsfEnvelopeSnr: Type.Optional(
      Type.Number({ description: 'envelope line at 2×BSF over its noise floor' }),
    ),
    ftfEnvelopeSnr: Type.Optional(Type.Number({ description: 'envelope line at FTF over its noise floor' })),
    /** Confidence per fault the diagnosis found in this window (absent fault = 0). */
    findings: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 1 }))),
  },
  { additionalProperties: false },
);
export type Features = Static<typeof Features>;

/** Numeric feature names a rule may refer to (besides `isoZone`, text, and `finding.<fault>`). */
export const FEATURE_METRICS = [
  'accelRms',
  'accelPeak',
  'velocityRmsMmS',
  'crestFactor',
  'kurtosis',
  'order1xMmS',
  'order2xMmS',
  'order3xMmS',
  'bpfoEnvelopeSnr',
  'bpfiEnvelopeSnr',
  'bsfEnvelopeSnr',
  'ftfEnvelopeSnr',
] as const;
export type FeatureMetric = (typeof FEATURE_METRICS)[number];
