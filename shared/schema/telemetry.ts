import { type Static, Type } from '@sinclair/typebox';
import { GatewayId } from './outbox-event.js';
import { AssetId, ChannelId, EpochMs } from './reading.js';

/**
 * A telemetry field name: a feature (`velocityRmsMmS`, `isoZoneIndex`) or `value` for a reading.
 * Field names become InfluxDB field keys and SQL values, so they keep to a safe alphabet.
 */
export const TELEMETRY_FIELD_PATTERN = '^[A-Za-z][A-Za-z0-9_.]{0,63}$';
export const TELEMETRY_FIELD_HINT = 'a letter, then at most 63 letters, digits, _ or . (e.g. velocityRmsMmS)';
export const MAX_FIELDS_PER_POINT = 64;
export const MAX_POINTS_PER_TELEMETRY_BATCH = 2000;

/**
 * JSON cannot carry NaN, but `1e999` parses as Infinity; the bounds refuse it whatever the
 * validator's options, since one infinite value would poison every mean it falls into.
 */
const FiniteNumber = Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE });

/** One asset channel's summary over an interval (the edge's default is 10 s): the mean of each field. */
export const TelemetryPoint = Type.Object(
  {
    ts: EpochMs,
    site: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'site id' }),
    assetId: AssetId,
    channel: ChannelId,
    fields: Type.Record(Type.String(), FiniteNumber, {
      // propertyNames, not patternProperties: a bad name is refused, never silently dropped.
      propertyNames: { pattern: TELEMETRY_FIELD_PATTERN },
      minProperties: 1,
      maxProperties: MAX_FIELDS_PER_POINT,
      description: `field name → mean over the interval; names: ${TELEMETRY_FIELD_HINT}`,
    }),
  },
  { additionalProperties: false },
);
export type TelemetryPoint = Static<typeof TelemetryPoint>;

export const TelemetryRequest = Type.Object(
  {
    gatewayId: GatewayId,
    points: Type.Array(TelemetryPoint, { minItems: 1, maxItems: MAX_POINTS_PER_TELEMETRY_BATCH }),
  },
  { additionalProperties: false },
);
export type TelemetryRequest = Static<typeof TelemetryRequest>;

export const TelemetryReply = Type.Object(
  {
    accepted: Type.Integer({ minimum: 0, description: 'points stored (a replayed point overwrites itself)' }),
  },
  { additionalProperties: false },
);
export type TelemetryReply = Static<typeof TelemetryReply>;

export const DEFAULT_TREND_POINTS = 500;
export const MAX_TREND_POINTS = 5000;

export const TrendParams = Type.Object({ assetId: AssetId }, { additionalProperties: false });
export type TrendParams = Static<typeof TrendParams>;

export const TrendQuery = Type.Object(
  {
    metric: Type.String({
      pattern: TELEMETRY_FIELD_PATTERN,
      description: 'telemetry field, e.g. velocityRmsMmS, kurtosis, rpm, or value for a reading',
    }),
    channel: Type.Optional(ChannelId),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'default: 7 days before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
    maxPoints: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TREND_POINTS,
        default: DEFAULT_TREND_POINTS,
        description: 'the range is averaged into at most this many equal time buckets',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TrendQuery = Static<typeof TrendQuery>;

export const TrendPoint = Type.Object(
  {
    ts: Type.Integer({ description: "epoch ms of the bucket's start" }),
    value: Type.Number({ description: 'mean of the metric over the bucket' }),
  },
  { additionalProperties: false },
);
export type TrendPoint = Static<typeof TrendPoint>;

export const TrendReply = Type.Object(
  {
    assetId: AssetId,
    metric: Type.String(),
    channel: Type.Optional(ChannelId),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    bucketMs: Type.Integer({ minimum: 1, description: 'width of each averaged bucket' }),
    points: Type.Array(TrendPoint),
    source: Type.Union([Type.Literal('influxdb'), Type.Literal('store')]),
  },
  { additionalProperties: false },
);
export type TrendReply = Static<typeof TrendReply>;
