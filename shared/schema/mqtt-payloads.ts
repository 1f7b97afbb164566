import { type Static, Type } from '@sinclair/typebox';
import { EpochMs, Quality, Reading } from './reading.js';
import { Waveform } from './waveform.js';

/**
 * What sensors publish over MQTT. The topic names the asset and channel
 * (`<prefix>/<assetId>/<channel>/waveform|reading`), so payloads carry only the measurement;
 * `ts` is optional because many sensors have no clock, and then the time of receipt is used.
 */
export const WaveformPayload = Type.Composite(
  [Type.Omit(Waveform, ['assetId', 'channel', 'ts']), Type.Object({ ts: Type.Optional(EpochMs) })],
  { additionalProperties: false },
);
export type WaveformPayload = Static<typeof WaveformPayload>;

export const ReadingPayload = Type.Composite(
  [
    // A publisher that speaks is online: whether a source is offline is for the agent's own sources to say.
    Type.Omit(Reading, ['assetId', 'channel', 'ts', 'quality', 'qualityReason']),
    Type.Object({ ts: Type.Optional(EpochMs), quality: Type.Optional(Quality) }),
  ],
  { additionalProperties: false },
);
export type ReadingPayload = Static<typeof ReadingPayload>;

export type MeasurementKind = 'waveform' | 'reading';

export const measurementTopic = (
  prefix: string,
  assetId: string,
  channel: string,
  kind: MeasurementKind,
): string => `${prefix}/${assetId}/${channel}/${kind}`;
