import { type Static, Type } from '@sinclair/typebox';

/** Asset and channel ids appear in MQTT topics and URLs, so they are restricted to a safe alphabet. */
export const AssetId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'asset id' });
export const ChannelId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'channel id' });

/** Epoch milliseconds; the edge stamps readings with the sensor's time when it has one. */
export const EpochMs = Type.Integer({ minimum: 0, description: 'epoch milliseconds' });

/** OPC-UA style quality: only `good` readings may fire a fault rule. */
export const Quality = Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]);

/**
 * Why a reading is bad, when its source knows that the source itself is gone rather than the
 * sensor: `node_death` (a Sparkplug NDEATH), `device_death` (a Sparkplug DDEATH), `connection_lost`
 * (the connection to a polled device such as a Modbus server is down). Rules read the channel as
 * unknown either way; a `noData` rule does not count the time a source is offline as a silent
 * sensor (edge/rules/source-offline.ts).
 */
export const QualityReason = Type.Union([
  Type.Literal('node_death'),
  Type.Literal('device_death'),
  Type.Literal('connection_lost'),
]);
export type QualityReason = Static<typeof QualityReason>;

export const Reading = Type.Object(
  {
    ts: EpochMs,
    assetId: AssetId,
    channel: ChannelId,
    value: Type.Number(),
    unit: Type.String({ minLength: 1, maxLength: 32 }),
    quality: Type.Optional(Quality),
    qualityReason: Type.Optional(QualityReason),
  },
  { additionalProperties: false },
);
export type Reading = Static<typeof Reading>;
