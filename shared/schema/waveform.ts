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

/**
 * A waveform's fields but its samples, at this time on this asset channel, with the rest (rate,
 * unit, rpm) from `from`: field by field, because object spreads and rests of waveforms took V8's
 * slow cloning path and made a new hidden class for every waveform of a flood.
 */
export function waveformMetadata(
  where: Pick<Waveform, 'ts' | 'assetId' | 'channel'>,
  from: Pick<Waveform, 'sampleRateHz' | 'unit' | 'rpm'>,
): Omit<Waveform, 'samples'> {
  const metadata: Omit<Waveform, 'samples'> = {
    ts: where.ts,
    assetId: where.assetId,
    channel: where.channel,
    sampleRateHz: from.sampleRateHz,
    unit: from.unit,
  };
  if (from.rpm !== undefined) metadata.rpm = from.rpm;
  return metadata;
}

/** The same with these samples: a waveform. */
export function waveformOf(
  where: Pick<Waveform, 'ts' | 'assetId' | 'channel'>,
  from: Pick<Waveform, 'sampleRateHz' | 'unit' | 'rpm'>,
  samples: WaveformSamples,
): Waveform {
  const waveform = waveformMetadata(where, from) as Waveform;
  waveform.samples = samples;
  return waveform;
}
