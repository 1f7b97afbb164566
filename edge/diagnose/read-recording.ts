import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

export const RECORDING_FORMATS = ['f32le', 'f64le', 'csv'] as const;
export type RecordingFormat = (typeof RECORDING_FORMATS)[number];

/** Bad recordings: the message names the file and, where it can, the sample, line or byte. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

/** Beyond this, values are not vibration in any unit: usually float32 read as float64 or the reverse. */
const IMPLAUSIBLE_MAGNITUDE = 1e9;

export function formatFromName(path: string): RecordingFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.f32' || extension === '.bin' || extension === '.raw') return 'f32le';
  if (extension === '.f64') return 'f64le';
  if (extension === '.csv' || extension === '.txt') return 'csv';
  throw new RecordingError(
    `${path}: cannot tell the format from the extension "${extension}"; give --format ${RECORDING_FORMATS.join('|')}`,
  );
}

export interface Segment {
  /** First sample to use. */
  start: number;
  /** Samples to use from there; the rest of the file when absent. */
  length?: number;
}

export async function readRecording(
  path: string,
  format: RecordingFormat,
  segment: Segment = { start: 0 },
): Promise<Float32Array | Float64Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new RecordingError(`cannot read ${path}: ${reason}`);
  }
  if (bytes.length === 0) throw new RecordingError(`${path} is empty`);
  const samples =
    format === 'csv' ? parseCsv(path, bytes.toString('utf8')) : parseBinary(path, bytes, format);
  return checkSamples(path, select(path, samples, segment), format, segment.start);
}

function parseBinary(path: string, bytes: Buffer, format: 'f32le' | 'f64le'): Float32Array | Float64Array {
  const width = format === 'f32le' ? 4 : 8;
  if (bytes.length % width !== 0) {
    const other = format === 'f32le' ? 'f64le' : 'f32le';
    throw new RecordingError(
      `${path}: ${bytes.length} bytes is not a whole number of ${width}-byte ${format} samples ` +
        `(truncated file, a header, or not ${format}: try --format ${other} or csv)`,
    );
  }
  // Copy into an aligned buffer and read explicitly little-endian, whatever the host.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length / width;
  if (format === 'f32le') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** One value per line; a header line and blank lines are skipped; more columns need the first to be it. */
function parseCsv(path: string, text: string): Float64Array {
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const field = line.split(/[,;\t ]+/)[0]!;
    const value = Number(field);
    if (field === '' || (Number.isNaN(value) && !/^nan$/i.test(field))) {
      if (values.length === 0 && i === firstContentLine(lines)) continue; // a header
      throw new RecordingError(`${path}:${i + 1}: "${field}" is not a number`);
    }
    if (!Number.isFinite(value))
      throw new RecordingError(`${path}:${i + 1}: ${field} is not a finite sample value`);
    values.push(value);
  }
  if (values.length === 0) throw new RecordingError(`${path} holds no samples`);
  return Float64Array.from(values);
}

function firstContentLine(lines: string[]): number {
  return lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

function select(
  path: string,
  samples: Float32Array | Float64Array,
  segment: Segment,
): Float32Array | Float64Array {
  if (segment.start >= samples.length) {
    throw new RecordingError(
      `${path}: --start ${segment.start} is past the end of the recording (${samples.length} samples)`,
    );
  }
  const end = segment.length === undefined ? samples.length : segment.start + segment.length;
  if (end > samples.length) {
    throw new RecordingError(
      `${path}: --start ${segment.start} --length ${segment.length} runs past the end of the recording (${samples.length} samples)`,
    );
  }
  return samples.subarray(segment.start, end);
}

function checkSamples(
  path: string,
  samples: Float32Array | Float64Array,
  format: RecordingFormat,
  offset: number,
): Float32Array | Float64Array {
  let largest = 0;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i]!;
    if (!Number.isFinite(value)) {
      throw new RecordingError(
        `${path}: sample ${offset + i} is ${value} (byte ${(offset + i) * (format === 'f64le' ? 8 : 4)}); the analysis needs finite values — cut the bad stretch with --start/--length`,
      );
    }
    largest = Math.max(largest, Math.abs(value));
  }
  if (largest > IMPLAUSIBLE_MAGNITUDE) {
    throw new RecordingError(
      `${path}: values reach ${largest.toExponential(1)}, which is no acceleration; is the format right? (read as ${format})`,
    );
  }
  return samples;
}
