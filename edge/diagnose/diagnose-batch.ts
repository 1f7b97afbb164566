/**
 * `plantwatch diagnose --batch <folder>`: every record a folder's index.json lists, diagnosed as
 * `plantwatch diagnose <file>` would, and scored against its label. A record that cannot be read or
 * analysed becomes an `error` row; the others are still diagnosed and scored.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccelerationUnit } from '../../shared/schema/index.js';
import { diagnoseRecord } from '../signal/diagnosis.js';
import type { MachineClass } from '../signal/iso-20816.js';
import { type BatchBearing, type BatchEntry, BatchIndexError, parseBatchIndex } from './batch-index.js';
import { type BatchOutcome, type BatchReport, batchReport } from './batch-report.js';
import { formatFromName, readRecording, type RecordingFormat } from './read-recording.js';

export interface BatchOptions {
  /** For records whose index entry names no bearing. */
  bearing?: BatchBearing;
  /** For records whose index entry (and the index) state no unit. */
  unit: AccelerationUnit;
  /** For records whose index entry states no format; else the extension decides. */
  format?: RecordingFormat;
  windowSize?: number;
  /** How far from a given rpm the true shaft speed is looked for (fraction; 0 uses it as given). */
  rpmTolerance?: number;
  machineClass: MachineClass;
  /** A top finding below this confidence counts as no diagnosis (`none`). */
  minConfidence: number;
  /** Called before each record with "record 3/40: <name>". */
  progress?: (line: string) => void;
}

export const INDEX_EXAMPLE =
  '{"files": [{"file": "a.f32", "label": "outer", "sample_rate_hz": 12000, "rpm": 1773, "bearing": "skf-6205"}]}';

export async function loadBatchIndex(folder: string): Promise<BatchEntry[]> {
  try {
    if (!(await stat(folder)).isDirectory()) {
      throw new BatchIndexError(
        `--batch ${folder} is a file, not a folder: diagnose one file without --batch, or give the folder holding index.json`,
      );
    }
  } catch (error) {
    if (error instanceof BatchIndexError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new BatchIndexError(
      `cannot read --batch ${folder}: ${code === 'ENOENT' ? 'no such folder' : (error as Error).message}`,
    );
  }
  const indexPath = join(folder, 'index.json');
  let text: string;
  try {
    text = await readFile(indexPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BatchIndexError(
      code === 'ENOENT'
        ? `${folder} has no index.json; write one listing the labelled records, e.g. ${INDEX_EXAMPLE}`
        : `cannot read ${indexPath}: ${(error as Error).message}`,
    );
  }
  return parseBatchIndex(indexPath, text);
}

export async function diagnoseBatch(folder: string, options: BatchOptions): Promise<BatchReport> {
  const entries = await loadBatchIndex(folder);
  const outcomes: BatchOutcome[] = [];
  for (const [i, entry] of entries.entries()) {
    options.progress?.(`record ${i + 1}/${entries.length}: ${entry.name}`);
    outcomes.push(await diagnoseEntry(folder, entry, options));
  }
  return batchReport(outcomes, options.minConfidence);
}

async function diagnoseEntry(
  folder: string,
  entry: BatchEntry,
  options: BatchOptions,
): Promise<BatchOutcome> {
  const bearing = entry.bearing ?? options.bearing;
  const outcome: BatchOutcome = {
    name: entry.name,
    ...(entry.label !== undefined ? { label: entry.label } : {}),
    ...(entry.expected !== undefined ? { expected: entry.expected } : {}),
    ...(bearing ? { bearing: bearing.name } : {}),
  };
  try {
    const file = join(folder, entry.file);
    const format = entry.format ?? options.format ?? formatFromName(file);
    const samples = await readRecording(file, format, {
      start: entry.start,
      ...(entry.length !== undefined ? { length: entry.length } : {}),
    });
    if (
      entry.sampleCount !== undefined &&
      entry.length === undefined &&
      samples.length !== entry.sampleCount
    ) {
      throw new Error(`${samples.length} samples, but index.json says sample_count ${entry.sampleCount}`);
    }
    const diagnosis = diagnoseRecord(samples, {
      sampleRateHz: entry.sampleRateHz,
      ...(entry.rpm !== undefined ? { rpm: entry.rpm } : {}),
      ...(entry.rpmRange ? { rpmRange: entry.rpmRange } : {}),
      ...(options.rpmTolerance !== undefined ? { rpmTolerance: options.rpmTolerance } : {}),
      unit: entry.unit ?? options.unit,
      machineClass: options.machineClass,
      ...(bearing ? { bearing: bearing.multiples } : {}),
      ...(options.windowSize ? { windowSize: options.windowSize } : {}),
    });
    return { ...outcome, diagnosis };
  } catch (error) {
    // Any failure, expected or not, stays with its record: one bad file must not hide the rest.
    return { ...outcome, error: (error as Error).message };
  }
}
