import type { AccelerationUnit, WaveformPayload } from './schema/index.js';

/**
 * The compact waveform payload: a 48-byte little-endian header and the samples, float32 or int16.
 * A 16,384-sample waveform is 64 KiB as float32 (32 KiB as int16) instead of about 137 KB of JSON,
 * and is read without parsing: the float32 samples are viewed in place. Documented for sensor
 * makers in edge/sources/mqtt/README.md ("Binary waveforms").
 *
 *   offset  size  field
 *        0     4  magic "PWWF"
 *        4     1  version, 1
 *        5     1  sample encoding: 1 float32, 2 int16
 *        6     1  unit: 1 g, 2 m/s2
 *        7     1  flags: bit 0 ts present, bit 1 rpm present (other bits 0)
 *        8     4  sample count, uint32
 *       12     4  reserved, 0
 *       16     8  ts, float64 epoch milliseconds (0 when absent: the time of receipt is used)
 *       24     8  sampleRateHz, float64
 *       32     8  rpm, float64 (0 when absent)
 *       40     8  scale, float64: value = sample × scale (1 for float32 in the unit itself)
 *       48        samples
 */
export const BINARY_WAVEFORM_MAGIC = 'PWWF';
export const BINARY_WAVEFORM_HEADER_BYTES = 48;
/** The MQTT 5 content type a publisher may set; the magic bytes alone also identify the format. */
export const BINARY_WAVEFORM_CONTENT_TYPE = 'application/vnd.plantwatch.waveform';

export type SampleEncoding = 'float32' | 'int16';
const ENCODING_CODES: Record<SampleEncoding, number> = { float32: 1, int16: 2 };
const BYTES_PER_SAMPLE: Record<SampleEncoding, number> = { float32: 4, int16: 2 };
const UNIT_CODES: Record<AccelerationUnit, number> = { g: 1, 'm/s2': 2 };
const MAX_SAMPLES = 1_048_576;
const MIN_SAMPLES = 64;

export class BinaryWaveformError extends Error {}

/** True when the payload starts with the binary format's magic bytes. */
export function isBinaryWaveform(payload: Uint8Array): boolean {
  return (
    payload.length >= 4 &&
    payload[0] === 0x50 &&
    payload[1] === 0x57 &&
    payload[2] === 0x57 &&
    payload[3] === 0x46
  );
}

/**
 * A payload in the binary format. int16 samples are scaled to a float32 copy (a sensor's ADC counts
 * are what int16 is for); float32 samples with scale 1 are a view of the payload itself when it is
 * aligned, so nothing is copied before the analysis reads them.
 */
export function encodeBinaryWaveform(
  waveform: Omit<WaveformPayload, 'samples'> & { samples: ArrayLike<number> },
  encoding: SampleEncoding = 'float32',
): Buffer {
  const count = waveform.samples.length;
  const scale = encoding === 'int16' ? int16Scale(waveform.samples) : 1;
  const buffer = Buffer.alloc(BINARY_WAVEFORM_HEADER_BYTES + count * BYTES_PER_SAMPLE[encoding]);
  buffer.write(BINARY_WAVEFORM_MAGIC, 0, 'latin1');
  buffer.writeUInt8(1, 4);
  buffer.writeUInt8(ENCODING_CODES[encoding], 5);
  buffer.writeUInt8(UNIT_CODES[waveform.unit], 6);
  buffer.writeUInt8((waveform.ts !== undefined ? 1 : 0) | (waveform.rpm !== undefined ? 2 : 0), 7);
  buffer.writeUInt32LE(count, 8);
  buffer.writeDoubleLE(waveform.ts ?? 0, 16);
  buffer.writeDoubleLE(waveform.sampleRateHz, 24);
  buffer.writeDoubleLE(waveform.rpm ?? 0, 32);
  buffer.writeDoubleLE(scale, 40);
  for (let i = 0; i < count; i++) {
    const value = waveform.samples[i]!;
    const offset = BINARY_WAVEFORM_HEADER_BYTES + i * BYTES_PER_SAMPLE[encoding];
    if (encoding === 'float32') buffer.writeFloatLE(value, offset);
    else buffer.writeInt16LE(Math.round(value / scale), offset);
  }
  return buffer;
}

/** The step that spreads the largest magnitude over the int16 range. */
function int16Scale(samples: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return peak > 0 ? peak / 32767 : 1;
}

type BinaryWaveform = Omit<WaveformPayload, 'samples'> & { samples: Float32Array };

/**
 * The payload's measurement, with every header field checked and every sample finite; a problem
 * names the field or sample and its byte offset.
 */
export function decodeBinaryWaveform(payload: Uint8Array): BinaryWaveform {
  const waveform = readBinaryWaveform(payload);
  const { samples } = waveform;
  // Infinity × 0 and NaN × 0 are NaN, every finite x × 0 is 0: one sum says whether all are finite.
  let probe = 0;
  for (let i = 0; i < samples.length; i++) probe += samples[i]! * 0;
  if (probe === 0) return waveform;
  const index = samples.findIndex((v) => !Number.isFinite(v));
  throw new BinaryWaveformError(nonFiniteSampleProblem(index, samples[index]!));
}

/** What is wrong with a payload whose sample `index` is `value` (NaN or ±Infinity). */
export function nonFiniteSampleProblem(index: number, value: number): string {
  return `binary waveform: sample ${index} (byte ${BINARY_WAVEFORM_HEADER_BYTES + 4 * index}) is ${value}; every sample must be a finite number`;
}

/**
 * The payload's measurement with every header field checked, its samples not yet: the agent has
 * them checked in the analysis' first pass over them, which sees a NaN or an Infinity anyway (a
 * separate pass on the event loop cost 45–60 µs per 16,384 samples, a sixth of its time per waveform).
 */
export function readBinaryWaveform(payload: Uint8Array): BinaryWaveform {
  const fail = (problem: string): never => {
    throw new BinaryWaveformError(`binary waveform: ${problem}`);
  };
  if (payload.length < BINARY_WAVEFORM_HEADER_BYTES)
    fail(`${payload.length} bytes is shorter than the ${BINARY_WAVEFORM_HEADER_BYTES}-byte header`);
  if (!isBinaryWaveform(payload)) fail(`bytes 0–3 must be the magic "${BINARY_WAVEFORM_MAGIC}"`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = view.getUint8(4);
  if (version !== 1) fail(`version (byte 4) is ${version}; this agent reads version 1`);
  const encodingCode = view.getUint8(5);
  const encoding = (Object.keys(ENCODING_CODES) as SampleEncoding[]).find(
    (e) => ENCODING_CODES[e] === encodingCode,
  );
  if (!encoding) fail(`sample encoding (byte 5) is ${encodingCode}; use 1 (float32) or 2 (int16)`);
  const unitCode = view.getUint8(6);
  const unit = (Object.keys(UNIT_CODES) as AccelerationUnit[]).find((u) => UNIT_CODES[u] === unitCode);
  if (!unit) fail(`unit (byte 6) is ${unitCode}; use 1 (g) or 2 (m/s2)`);
  const flags = view.getUint8(7);
  if (flags & ~3) fail(`flags (byte 7) is ${flags}; only bit 0 (ts) and bit 1 (rpm) are defined`);
  const count = view.getUint32(8, true);
  if (count < MIN_SAMPLES || count > MAX_SAMPLES)
    fail(`sample count (bytes 8–11) is ${count}; it must be ${MIN_SAMPLES}–${MAX_SAMPLES}`);
  const expected = BINARY_WAVEFORM_HEADER_BYTES + count * BYTES_PER_SAMPLE[encoding!];
  if (payload.length !== expected)
    fail(
      `${payload.length} bytes, but a header announcing ${count} ${encoding} samples needs exactly ${expected}`,
    );
  const ts = view.getFloat64(16, true);
  if (flags & 1 && (!Number.isInteger(ts) || ts < 0))
    fail(`ts (bytes 16–23) is ${ts}; it must be whole epoch milliseconds`);
  const sampleRateHz = view.getFloat64(24, true);
  if (!(sampleRateHz > 0 && sampleRateHz <= 1_000_000))
    fail(`sampleRateHz (bytes 24–31) is ${sampleRateHz}; it must be above 0 and at most 1000000`);
  const rpm = view.getFloat64(32, true);
  if (flags & 2 && !(rpm >= 0 && rpm <= 200_000)) fail(`rpm (bytes 32–39) is ${rpm}; it must be 0–200000`);
  const scale = view.getFloat64(40, true);
  if (!(Number.isFinite(scale) && scale > 0))
    fail(`scale (bytes 40–47) is ${scale}; it must be a finite number above 0`);
  // Optional fields assigned, not spread: a conditional spread took V8's slow object-cloning path
  // on every waveform of a flood.
  const waveform: BinaryWaveform = {
    sampleRateHz,
    unit: unit!,
    samples: samplesOf(payload, encoding!, count, scale),
  };
  if (flags & 1) waveform.ts = ts;
  if (flags & 2) waveform.rpm = rpm;
  return waveform;
}

function samplesOf(
  payload: Uint8Array,
  encoding: SampleEncoding,
  count: number,
  scale: number,
): Float32Array {
  const start = payload.byteOffset + BINARY_WAVEFORM_HEADER_BYTES;
  if (encoding === 'float32') {
    const samples =
      start % 4 === 0
        ? new Float32Array(payload.buffer, start, count)
        : new Float32Array(payload.buffer.slice(start, start + count * 4));
    if (scale === 1) return samples;
    // Never scaled in place: the payload may be the broker's, still to be delivered to others.
    const scaled = new Float32Array(count);
    for (let i = 0; i < count; i++) scaled[i] = samples[i]! * scale;
    return scaled;
  }
  const raw =
    start % 2 === 0
      ? new Int16Array(payload.buffer, start, count)
      : new Int16Array(payload.buffer.slice(start, start + count * 2));
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) samples[i] = raw[i]! * scale;
  return samples;
}
