import sparkplugPayload from 'sparkplug-payload';
import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';

export type SparkplugMetric = UMetric;
export type SparkplugPayload = UPayload;

// Eclipse Tahu's own encoder: the protobuf schema exactly as Ignition and other hosts read it.
const codec = sparkplugPayload.get('spBv1.0');
if (!codec) throw new Error('sparkplug-payload does not know the spBv1.0 namespace');
const { encodePayload, decodePayload } = codec;

export function encodeSparkplug(payload: SparkplugPayload): Buffer {
  return Buffer.from(encodePayload(payload));
}

const ProtoPayload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;

/**
 * The payload, or an error saying it is not a Sparkplug B protobuf. A metric of a data message may
 * leave out its datatype (the spec even asks it to: the birth gave it); Tahu's decoder then gives
 * null for its value, so such a value is taken from the protobuf as it is, its type left undefined
 * for the reader to take from the birth.
 */
export function decodeSparkplug(bytes: Uint8Array): SparkplugPayload {
  // Zero bytes are a valid (empty) protobuf message, but never a Sparkplug B one: every message
  // carries a seq or, for NDEATH, its bdSeq.
  if (bytes.length === 0) throw new Error('not a Sparkplug B payload (empty: 0 bytes)');
  try {
    const payload = decodePayload(bytes);
    const raw = ProtoPayload.decode(bytes);
    payload.metrics?.forEach((metric, i) => {
      // The decoded class names the value field it holds (protobuf oneof `value`).
      const rawMetric = raw.metrics[i] as (Record<string, unknown> & { value?: string }) | undefined;
      if (metric.type !== undefined || !rawMetric || rawMetric.isNull || !rawMetric.value) return;
      metric.value = rawMetric[rawMetric.value] as SparkplugMetric['value'];
    });
    return payload;
  } catch (error) {
    throw new Error(`not a Sparkplug B payload (protobuf does not decode: ${(error as Error).message})`, {
      cause: error,
    });
  }
}

const SIGNED_32 = new Set(['Int8', 'Int16', 'Int32']);

/**
 * A numeric or Boolean metric's value as a number, read as `datatype` (the birth's): signed 32-bit
 * types travel as unsigned in the protobuf, Int64 as an unsigned long. Undefined for other values.
 */
export function numericValue(datatype: string, value: unknown): number | undefined {
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number') return SIGNED_32.has(datatype) ? value | 0 : value;
  if (datatype === 'Int64' && value && typeof value === 'object' && 'toSigned' in value)
    return numberOf((value as { toSigned(): unknown }).toSigned());
  return numberOf(value);
}

/** A 64-bit value as the decoder gives it (a `long` object) or a plain number, as a number. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function')
    return (value as { toNumber(): number }).toNumber();
  return undefined;
}
