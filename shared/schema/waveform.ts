import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId, EpochMs } from './reading.js';

/** Acceleration units the signal chain understands; velocity is derived from acceleration. */
export const AccelerationUnit = Type.Union([Type.Literal('g'), Type.Literal('m/s2')]);
export type AccelerationUnit = Static<typeof AccelerationUnit>;

export const Waveform = Type.Object(
  {
    ts: EpochMs,
    assetId: AssetId,
    channel: ChannelId,
    sampleRateHz: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
    unit: AccelerationUnit,
    /** Shaft speed at capture time, when the sensor or PLC knows it; otherwise the asset's nominal rpm applies. */
    rpm: Type.Optional(Type.Number({ minimum: 0, maximum: 200_000 })),
    samples: Type.Array(Type.Number(), { minItems: 64, maxItems: 1_048_576 }),
  },
  { additionalProperties: false },
);
/**
 * Samples as a JSON array, or as float32 straight from a binary payload (`shared/waveform-binary.ts`)
 * or an OPC-UA Float array: the analysis reads either without converting.
 */
export type WaveformSamples = number[] | Float32Array | Float64Array;
export type Waveform = Omit<Static<typeof Waveform>, 'samples'> & { samples: WaveformSamples };
