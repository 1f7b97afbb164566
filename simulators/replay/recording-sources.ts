/**
 * What to replay: a raw or CSV file, or a data folder described by an `index.json`, turned into a list
 * of recordings (samples, sample rate, rpm, asset, channel). Pure apart from reading the files.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { BEARING_CATALOG } from '../../shared/bearings.js';
import {
  formatFromName,
  readRecording,
  RecordingError,
  type RecordingFormat,
} from '../../edge/diagnose/read-recording.js';

export interface Recording {
  /** The file, for messages and the summary. */
  file: string;
  assetId: string;
  channel: string;
  sampleRateHz: number;
  rpm?: number;
  /** Catalog id (`shared/bearings.ts`) when the index names a known bearing, else its text. */
  bearing?: string;
  samples: Float32Array | Float64Array;
}

export interface SourceOptions {
  format?: RecordingFormat;
  fs?: number;
  rpm?: number;
  /** With a folder: every file replays as consecutive recordings of this one asset. */
  asset?: string;
  channel?: string;
  /** CSV with a header: the value column. */
  column?: string;
}

export const DEFAULT_CHANNEL = 'accel';

/** Time columns a CSV header may have, with their unit in seconds. */
const TIME_COLUMNS: Record<string, number> = { time: 1, t: 1, time_s: 1, seconds: 1, s: 1, time_ms: 1e-3 };
/** A CSV time column is uniform when every step is within this fraction of the mean step. */
const UNIFORM_TOLERANCE = 0.01;

/** Bad replay input; the message names the file and the line, sample or field. */
export class ReplayInputError extends Error {
  override name = 'ReplayInputError';
}

/** A file stem as an MQTT topic id: letters, digits, `_ . -`, at most 64. */
export const idFromName = (path: string): string =>
  basename(path, extname(path))
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 64) || 'recording';

export async function loadRecordings(input: string, options: SourceOptions): Promise<Recording[]> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(input)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReplayInputError(
      `cannot read ${input}: ${code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`,
    );
  }
  return isFolder ? loadFolder(input, options) : [await loadFile(input, options)];
}

async function loadFile(file: string, options: SourceOptions): Promise<Recording> {
  const format = options.format ?? formatFromName(file);
  let samples: Float32Array | Float64Array;
  let sampleRateHz = options.fs;
  if (format === 'csv' && (await csvHasHeaderColumns(file))) {
    const table = await readCsvColumn(file, options.column);
    samples = table.samples;
    sampleRateHz ??= table.sampleRateHz;
  } else {
    if (options.column !== undefined && format === 'csv') {
      throw new ReplayInputError(`${file}: --column ${options.column} needs a CSV with a header line`);
    }
    samples = await readRecording(file, format);
  }
  if (sampleRateHz === undefined) {
    throw new ReplayInputError(
      `${file}: the sample rate is unknown; give --fs <Hz> (or a CSV time column, or a folder with index.json)`,
    );
  }
  return {
    file,
    assetId: options.asset ?? idFromName(file),
    channel: options.channel ?? DEFAULT_CHANNEL,
    sampleRateHz,
    ...(options.rpm !== undefined ? { rpm: options.rpm } : {}),
    samples,
  };
}

// ---------------------------------------------------------------- CSV with a header and a time column

async function csvHasHeaderColumns(file: string): Promise<boolean> {
  const text = await readText(file);
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (first === undefined) return false;
  const fields = splitCsvLine(first);
  return fields.length >= 2 && fields.some((f) => Number.isNaN(Number(f)) || f === '');
}

const splitCsvLine = (line: string): string[] => line.trim().split(/\s*[,;\t]\s*/);

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ReplayInputError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * A CSV with a header: the value column (`--column`, or the only column that is not time) and, when
 * there is a time column, the sample rate from it, refused unless every step is within 1 % of the mean.
 */
export function parseCsvTable(
  file: string,
  text: string,
  column: string | undefined,
): { samples: Float64Array; sampleRateHz?: number } {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const header = splitCsvLine(lines[headerIndex] ?? '').map((h) => h.replace(/^"|"$/g, ''));
  const timeIndex = header.findIndex((h) => h.toLowerCase() in TIME_COLUMNS);
  const timeScale = timeIndex >= 0 ? TIME_COLUMNS[header[timeIndex]!.toLowerCase()]! : 1;
  let valueIndex: number;
  if (column !== undefined) {
    valueIndex = header.indexOf(column);
    if (valueIndex < 0) {
      throw new ReplayInputError(
        `${file}:${headerIndex + 1}: no column "${column}" (columns: ${header.join(', ')}); fix --column`,
      );
    }
  } else {
    const others = header.map((_, i) => i).filter((i) => i !== timeIndex);
    if (others.length !== 1) {
      throw new ReplayInputError(
        `${file}:${headerIndex + 1}: ${header.length} columns (${header.join(', ')}); say which holds the samples with --column <name>`,
      );
    }
    valueIndex = others[0]!;
  }
  const values: number[] = [];
  const times: number[] = [];
  const lineOf: number[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitCsvLine(line);
    const number = (index: number, what: string): number => {
      const field = fields[index];
      const value = Number(field);
      if (field === undefined || field === '' || !Number.isFinite(value)) {
        throw new ReplayInputError(
          `${file}:${i + 1}: ${what} "${field ?? ''}" is not a finite number (sample ${values.length})`,
        );
      }
      return value;
    };
    values.push(number(valueIndex, `column ${header[valueIndex]}`));
    if (timeIndex >= 0) times.push(number(timeIndex, `time ${header[timeIndex]}`) * timeScale);
    lineOf.push(i + 1);
  }
  if (values.length === 0) throw new ReplayInputError(`${file} holds no samples`);
  if (timeIndex < 0 || times.length < 2) return { samples: Float64Array.from(values) };
  const meanStep = (times[times.length - 1]! - times[0]!) / (times.length - 1);
  if (!(meanStep > 0)) {
    throw new ReplayInputError(`${file}: the time column ${header[timeIndex]} does not increase`);
  }
  for (let k = 1; k < times.length; k++) {
    const step = times[k]! - times[k - 1]!;
    if (Math.abs(step - meanStep) > UNIFORM_TOLERANCE * meanStep) {
      throw new ReplayInputError(
        `${file}:${lineOf[k]}: time step ${step.toPrecision(4)} s differs from the mean ${meanStep.toPrecision(4)} s by more than 1 %; ` +
          'replay needs uniform sampling (resample it, or give --fs to ignore the time column)',
      );
    }
  }
  return { samples: Float64Array.from(values), sampleRateHz: 1 / meanStep };
}

async function readCsvColumn(file: string, column: string | undefined) {
  return parseCsvTable(file, await readText(file), column);
}

// ---------------------------------------------------------------- data folder with index.json

interface IndexEntry {
  file: string;
  sampleRateHz: number;
  rpm: number;
  bearing?: string;
  sampleCount?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A bearing description as a catalog id when one matches ("SKF 6205-2RS JEM" → skf-6205). */
export function bearingId(description: string): string {
  const slug = description.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return BEARING_CATALOG.find((b) => slug.startsWith(b.id))?.id ?? description;
}

/**
 * Both shapes in test/fixtures/recordings: CWRU (`files[]` with `rpm` and `sample_rate_hz` each) and IMS
 * (`series[]`, with the rig's `shaft_rpm`, `sample_rate_hz` and `bearing` at the top).
 */
export function parseIndex(indexPath: string, text: string): IndexEntry[] {
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (error) {
    throw new ReplayInputError(`${indexPath}: not JSON: ${(error as Error).message}`);
  }
  if (!isObject(index)) throw new ReplayInputError(`${indexPath}: expected a JSON object`);
  const listName = Array.isArray(index.files) ? 'files' : Array.isArray(index.series) ? 'series' : undefined;
  if (!listName)
    throw new ReplayInputError(`${indexPath}: needs a "files" (or "series") array of recordings`);
  const list = index[listName] as unknown[];
  if (list.length === 0) throw new ReplayInputError(`${indexPath}: "${listName}" is empty`);
  const topBearing = isObject(index.bearing) ? index.bearing.model : index.bearing;
  return list.map((entry, i) => {
    const where = `${indexPath}: ${listName}[${i}]`;
    if (!isObject(entry)) throw new ReplayInputError(`${where}: expected an object`);
    const positive = (names: string[], value: unknown): number => {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new ReplayInputError(
          `${where}${typeof entry.file === 'string' ? ` (${entry.file})` : ''}: ` +
            `${value === undefined ? 'missing' : `bad (${JSON.stringify(value)})`} "${names.join('" or top-level "')}", a positive number`,
        );
      }
      return value;
    };
    if (typeof entry.file !== 'string' || entry.file === '' || entry.file.includes('..')) {
      throw new ReplayInputError(`${where}: missing "file", the recording's name in the folder`);
    }
    const sampleRateHz = positive(['sample_rate_hz'], entry.sample_rate_hz ?? index.sample_rate_hz);
    const rpm = positive(['rpm', 'shaft_rpm'], entry.rpm ?? index.shaft_rpm);
    const bearing = typeof topBearing === 'string' ? bearingId(topBearing) : undefined;
    const sampleCount = typeof entry.sample_count === 'number' ? entry.sample_count : undefined;
    return {
      file: entry.file,
      sampleRateHz,
      rpm,
      ...(bearing ? { bearing } : {}),
      ...(sampleCount !== undefined ? { sampleCount } : {}),
    };
  });
}

async function loadFolder(folder: string, options: SourceOptions): Promise<Recording[]> {
  const indexPath = join(folder, 'index.json');
  let text: string;
  try {
    text = await readFile(indexPath, 'utf8');
  } catch {
    throw new ReplayInputError(
      `${folder} is a folder without an index.json; replay one file, or add an index.json with "files": [{"file", "sample_rate_hz", "rpm"}]`,
    );
  }
  const recordings: Recording[] = [];
  for (const entry of parseIndex(indexPath, text)) {
    const file = join(folder, entry.file);
    const samples = await readRecording(file, options.format ?? formatFromName(file));
    if (entry.sampleCount !== undefined && entry.sampleCount !== samples.length) {
      throw new ReplayInputError(
        `${file}: ${samples.length} samples, but ${indexPath} says sample_count ${entry.sampleCount}`,
      );
    }
    recordings.push({
      file,
      // Each file its own asset (they are different machines or days); --asset makes them one channel's history.
      assetId: options.asset ?? idFromName(entry.file),
      channel: options.channel ?? DEFAULT_CHANNEL,
      sampleRateHz: options.fs ?? entry.sampleRateHz,
      rpm: options.rpm ?? entry.rpm,
      ...(entry.bearing ? { bearing: entry.bearing } : {}),
      samples,
    });
  }
  return recordings;
}

export { RecordingError };
