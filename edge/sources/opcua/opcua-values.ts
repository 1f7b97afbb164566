import { DataType, type DataValue, type StatusCode, VariantArrayType } from 'node-opcua';
import type { Reading, Waveform } from '../../../shared/schema/index.js';

type Quality = NonNullable<Reading['quality']>;
import { DEFAULT_TIME_WINDOW, implausibleTime, type TimeWindow } from '../plausible-time.js';
import type { OpcuaNodeConfig } from './opcua-config.js';

/** `timestampProblem`: the node's timestamps were implausible and the arrival time was used instead. */
export type ConvertedValue =
  | { kind: 'reading'; reading: Reading; timestampProblem?: string }
  | { kind: 'waveform'; waveform: Waveform; timestampProblem?: string }
  | { kind: 'rejected'; reason: string; detail: string };

/** OPC-UA Part 4, 7.39: the top two bits of a status code are its severity (00 good, 01 uncertain, 1x bad). */
export function qualityOf(statusCode: StatusCode): Quality {
  const severity = statusCode.value >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/**
 * The source timestamp, else the server's, else the arrival time. Servers without a clock send no
 * timestamp or DateTime's minimum (1601), and a PLC clock can be years off: a value is not lost for a
 * bad clock (unlike an MQTT payload, the number is not the sender's own mistake of units), but the
 * implausible stamp is reported. Absent stamps and 1601 are "no clock", not a problem.
 */
function timestampOf(
  dataValue: DataValue,
  receivedAt: number,
  window: TimeWindow,
): { ts: number; timestampProblem?: string } {
  let problem: string | undefined;
  const stamps = [
    ['sourceTimestamp', dataValue.sourceTimestamp],
    ['serverTimestamp', dataValue.serverTimestamp],
  ] as const;
  for (const [field, stamp] of stamps) {
    const ms = stamp?.getTime();
    if (ms === undefined || !Number.isFinite(ms) || ms <= NO_CLOCK_MS) continue;
    const implausible = implausibleTime(field, ms, receivedAt, window);
    if (!implausible) return { ts: ms, ...(problem ? { timestampProblem: problem } : {}) };
    problem ??= implausible;
  }
  return { ts: receivedAt, ...(problem ? { timestampProblem: problem } : {}) };
}
/** OPC-UA DateTime's minimum and the zero of the epoch: what servers without a clock send. */
const NO_CLOCK_MS = 0;

const NUMERIC_TYPES = new Set([
  DataType.Double,
  DataType.Float,
  DataType.SByte,
  DataType.Byte,
  DataType.Int16,
  DataType.UInt16,
  DataType.Int32,
  DataType.UInt32,
]);

/** A scalar OPC-UA value as a number, or why it is not one. */
function scalarNumber(dataType: DataType, value: unknown): number | string {
  if (NUMERIC_TYPES.has(dataType) && typeof value === 'number') return value;
  if (dataType === DataType.Boolean && typeof value === 'boolean') return value ? 1 : 0;
  // node-opcua carries 64-bit integers as [high, low] 32-bit words.
  if ((dataType === DataType.Int64 || dataType === DataType.UInt64) && Array.isArray(value)) {
    const [high, low] = value as number[];
    return (high ?? 0) * 2 ** 32 + (low ?? 0);
  }
  return `a ${DataType[dataType]} value cannot be a reading; map a numeric or Boolean variable`;
}

/**
 * One OPC-UA data value as what the node is mapped to. A bad or uncertain scalar is still a reading,
 * marked as such, so rules see it as unknown rather than missing; a waveform that is not good cannot
 * be analysed and is rejected.
 */
export function convertDataValue(
  node: OpcuaNodeConfig,
  dataValue: DataValue,
  receivedAt: number,
  window: TimeWindow = DEFAULT_TIME_WINDOW,
): ConvertedValue {
  const quality = qualityOf(dataValue.statusCode);
  const { ts, timestampProblem } = timestampOf(dataValue, receivedAt, window);
  const stamped = timestampProblem ? { timestampProblem } : {};
  const variant = dataValue.value;
  const { assetId, channel, unit } = node;
  const isArray = variant.arrayType !== VariantArrayType.Scalar;

  if (node.waveform) {
    if (quality !== 'good') {
      return {
        kind: 'rejected',
        reason: 'bad_quality',
        detail: `waveform has status ${dataValue.statusCode.name}; only good waveforms are analysed`,
      };
    }
    if (!isArray || !variant.value || typeof (variant.value as ArrayLike<number>).length !== 'number') {
      return {
        kind: 'rejected',
        reason: 'not_an_array',
        detail: `a waveform node must hold a Float or Double array, got a ${DataType[variant.dataType]} scalar`,
      };
    }
    const values = variant.value as ArrayLike<unknown>;
    if (values.length < 64) {
      return {
        kind: 'rejected',
        reason: 'too_short',
        detail: `waveform has ${values.length} samples; at least 64 are needed`,
      };
    }
    const samples = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) {
      const sample = values[i];
      if (typeof sample !== 'number' || !Number.isFinite(sample)) {
        return {
          kind: 'rejected',
          reason: 'not_finite',
          detail: `waveform sample ${i} is ${String(sample)}`,
        };
      }
      samples[i] = sample;
    }
    const { sampleRateHz, unit: accelerationUnit } = node.waveform;
    return {
      kind: 'waveform',
      waveform: { ts, assetId, channel, sampleRateHz, unit: accelerationUnit, samples },
      ...stamped,
    };
  }

  if (isArray) {
    const length = (variant.value as ArrayLike<unknown> | null)?.length ?? 0;
    return {
      kind: 'rejected',
      reason: 'unexpected_array',
      detail: `node holds an array of ${length} values; map it with waveform: { sampleRateHz, unit } to analyse it`,
    };
  }
  if (quality !== 'good' && (variant.dataType === DataType.Null || variant.value === null)) {
    // A failed sensor often comes with no value at all; the reading still says that it failed.
    return {
      kind: 'reading',
      reading: { ts, assetId, channel, value: Number.NaN, unit, quality },
      ...stamped,
    };
  }
  const value = scalarNumber(variant.dataType, variant.value);
  if (typeof value === 'string') return { kind: 'rejected', reason: 'unsupported_type', detail: value };
  if (!Number.isFinite(value)) {
    return { kind: 'rejected', reason: 'not_finite', detail: `value is ${value}` };
  }
  return { kind: 'reading', reading: { ts, assetId, channel, value, unit, quality }, ...stamped };
}
