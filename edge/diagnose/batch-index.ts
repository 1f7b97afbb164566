/**
 * The records of a labelled data folder, read from its `index.json`: file, label, sample rate, rpm,
 * bearing, unit, format and segment of each. Reads both shapes in test/fixtures/recordings (CWRU
 * `files[]`; IMS `series[]` of snapshots concatenated in one file) and the fields users write for
 * their own data. Pure: the index text in, entries out; the files themselves are read later.
 */
import type { RpmRange } from '../signal/diagnosis.js';
import { rpmRangeFrom } from './rpm-range.js';
import type { AccelerationUnit } from '../../shared/schema/index.js';
import {
  BEARING_CATALOG,
  catalogBearing,
  type DefectMultiples,
  defectMultiples,
} from '../../shared/bearings.js';
import { type ExpectedFault, FAULT_LABELS, faultOfLabel } from '../../shared/schema/fault.js';
import { RECORDING_FORMATS, type RecordingFormat } from './read-recording.js';

/** A bad index: the message names the index, the entry (with its file) and the field. */
export class BatchIndexError extends Error {
  override name = 'BatchIndexError';
}

export interface BatchBearing {
  /** Catalog id, or where the multiples came from (`multiples`, `geometry`). */
  name: string;
  multiples: DefectMultiples;
}

export interface BatchEntry {
  /** The record in tables: the file, with `@<snapshot>` for one snapshot of a series file. */
  name: string;
  /** The file's name in the folder. */
  file: string;
  /** The label as written; absent for an unlabelled record (diagnosed, not scored). */
  label?: string;
  expected?: ExpectedFault;
  sampleRateHz: number;
  /** The shaft speed: a given rpm, a range it lies in (searched for 1× and its harmonics), or both. */
  rpm?: number;
  rpmRange?: RpmRange;
  bearing?: BatchBearing;
  unit?: AccelerationUnit;
  format?: RecordingFormat;
  /** First sample of the record in the file, and its length (the rest of the file when absent). */
  start: number;
  length?: number;
  /** The whole file's sample count, when the index states it (checked when the file is read). */
  sampleCount?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const UNITS: readonly AccelerationUnit[] = ['g', 'm/s2'];
const MULTIPLE_NAMES = ['bpfo', 'bpfi', 'bsf', 'ftf'] as const;

/**
 * A `bsf` this many times above the largest ball spin the `ftf` allows is the other convention,
 * 2 × ball spin (the CWRU table's "rolling element" 4.7135): halved, as a defect line sits at 2 × bsf.
 */
const TWICE_BSF_MARGIN = 1.5;

/** All problems of an index at once, so a user fixes them in one pass. */
export function parseBatchIndex(indexPath: string, text: string): BatchEntry[] {
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (error) {
    throw new BatchIndexError(`${indexPath}: not JSON: ${(error as Error).message}`);
  }
  if (!isObject(index)) throw new BatchIndexError(`${indexPath}: expected a JSON object`);
  const listName = Array.isArray(index.files) ? 'files' : Array.isArray(index.series) ? 'series' : undefined;
  if (!listName) {
    throw new BatchIndexError(
      `${indexPath}: needs a "files" (or "series") array: [{"file", "label", "sample_rate_hz", "rpm", "bearing"}]`,
    );
  }
  const list = index[listName] as unknown[];
  if (list.length === 0) throw new BatchIndexError(`${indexPath}: "${listName}" is empty`);
  const entries: BatchEntry[] = [];
  const problems: string[] = [];
  list.forEach((entry, i) => {
    const where = `${indexPath}: ${listName}[${i}]${isObject(entry) && typeof entry.file === 'string' ? ` (${entry.file})` : ''}`;
    try {
      entries.push(...entriesOf(entry, index));
    } catch (error) {
      if (!(error instanceof BatchIndexError)) throw error;
      problems.push(`${where}: ${error.message}`);
    }
  });
  if (problems.length > 0) throw new BatchIndexError(problems.join('\n'));
  return entries;
}

function entriesOf(entry: unknown, index: Json): BatchEntry[] {
  if (!isObject(entry)) throw new BatchIndexError('expected an object');
  if (typeof entry.file !== 'string' || entry.file === '' || entry.file.includes('..')) {
    throw new BatchIndexError(`missing "file", the recording's name in the folder (without "..")`);
  }
  const file = entry.file;
  const format = formatOf(entry.format, index.format);
  const unit = unitOf(entry.unit ?? index.unit);
  const bearing = bearingOf(entry, index);
  const record = {
    file,
    sampleRateHz: positive(['sample_rate_hz', 'fs'], entry.sample_rate_hz ?? entry.fs, [
      index.sample_rate_hz ?? index.fs,
    ]),
    ...shaftSpeedOf(entry, index),
    ...(bearing ? { bearing } : {}),
    ...(unit ? { unit } : {}),
    ...(format ? { format } : {}),
  };
  const sampleCount =
    entry.sample_count === undefined ? undefined : count('sample_count', entry.sample_count);
  const snapshots = entry.snapshots;
  if (!Array.isArray(snapshots)) {
    return [
      {
        name: file,
        ...record,
        ...labelled(entry.label),
        start: 0,
        ...(sampleCount !== undefined ? { sampleCount } : {}),
      },
    ];
  }
  const perSnapshot = count(
    'samples_per_snapshot',
    entry.samples_per_snapshot ?? index.samples_per_snapshot,
    '(needed to cut the snapshots out of the file)',
  );
  return snapshots.map((snapshot, k) => {
    if (!isObject(snapshot)) throw new BatchIndexError(`snapshots[${k}]: expected an object`);
    const id = snapshot.index === undefined ? k : count(`snapshots[${k}].index`, snapshot.index);
    const start =
      snapshot.sample_offset === undefined
        ? id * perSnapshot
        : count(`snapshots[${k}].sample_offset`, snapshot.sample_offset);
    return {
      name: `${file}@${id}`,
      ...record,
      ...labelled(snapshot.label ?? entry.label, `snapshots[${k}].label`),
      start,
      length: perSnapshot,
    };
  });
}

function labelled(label: unknown, field = 'label'): { label?: string; expected?: ExpectedFault } {
  if (label === undefined || label === null) return {};
  const expected = typeof label === 'string' ? faultOfLabel(label) : undefined;
  if (expected === undefined) {
    throw new BatchIndexError(
      `"${field}" ${JSON.stringify(label)} names no fault; use one of ${Object.keys(FAULT_LABELS).join(', ')} ` +
        '(shared/schema/fault.ts), or leave it out for an unlabelled record',
    );
  }
  return { label: label as string, expected };
}

/** The entry's value, else the first fallback given (a top-level field of the index). */
function positive(names: string[], value: unknown, fallbacks: unknown[]): number {
  const chosen = value ?? fallbacks.find((v) => v !== undefined);
  if (typeof chosen !== 'number' || !Number.isFinite(chosen) || chosen <= 0) {
    throw new BatchIndexError(
      `${chosen === undefined ? 'missing' : `bad (${JSON.stringify(chosen)})`} "${names.join('" or "')}", a positive number`,
    );
  }
  return chosen;
}

/**
 * "rpm": 1773, or a range where only that is known ("rpm": "1700-1800", "rpm_range": [1700, 1800]);
 * an entry's own value wins over the index's.
 */
function shaftSpeedOf(entry: Json, index: Json): { rpm?: number; rpmRange?: RpmRange } {
  const rpmValue = entry.rpm ?? (entry.rpm_range === undefined ? (index.shaft_rpm ?? index.rpm) : undefined);
  const rangeValue =
    entry.rpm_range ??
    entry.rpmRange ??
    (entry.rpm === undefined ? (index.rpm_range ?? index.rpmRange) : undefined);
  const speed: { rpm?: number; rpmRange?: RpmRange } = {};
  if (typeof rpmValue === 'string') {
    const range = rpmRangeFrom(rpmValue);
    if (!range)
      throw new BatchIndexError(
        `bad "rpm" ${JSON.stringify(rpmValue)}: a number, or a range like "1700-1800"`,
      );
    speed.rpmRange = range;
  } else if (rpmValue !== undefined) {
    speed.rpm = positive(['rpm'], rpmValue, []);
  }
  if (rangeValue !== undefined) {
    const range = rpmRangeFrom(rangeValue);
    if (!range)
      throw new BatchIndexError(
        `bad "rpm_range" ${JSON.stringify(rangeValue)}: [min, max] or "min-max" in rpm, the lower first`,
      );
    speed.rpmRange = range;
  }
  if (speed.rpm === undefined && speed.rpmRange === undefined)
    throw new BatchIndexError(
      'missing "rpm", the shaft speed (or "rpm_range": [min, max] when only its range is known)',
    );
  return speed;
}

function count(field: string, value: unknown, why = ''): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new BatchIndexError(
      `${value === undefined ? 'missing' : `bad (${JSON.stringify(value)})`} "${field}", a whole number ≥ 0${why ? ` ${why}` : ''}`,
    );
  }
  return value;
}

/** An entry's format must be one of ours; a top-level `format` may be prose (as in cwru-dev) and is then ignored. */
function formatOf(entryFormat: unknown, topFormat: unknown): RecordingFormat | undefined {
  const known = (v: unknown): v is RecordingFormat => RECORDING_FORMATS.includes(v as RecordingFormat);
  if (entryFormat !== undefined && !known(entryFormat)) {
    throw new BatchIndexError(
      `bad "format" ${JSON.stringify(entryFormat)}; one of ${RECORDING_FORMATS.join(', ')} (or leave it out: from the extension)`,
    );
  }
  return known(entryFormat) ? entryFormat : known(topFormat) ? topFormat : undefined;
}

function unitOf(unit: unknown): AccelerationUnit | undefined {
  if (unit === undefined) return undefined;
  if (!UNITS.includes(unit as AccelerationUnit)) {
    throw new BatchIndexError(`bad "unit" ${JSON.stringify(unit)}; one of ${UNITS.join(', ')}`);
  }
  return unit as AccelerationUnit;
}

/**
 * The entry's bearing, else the index's; a named bearing must be in the catalog unless the multiples
 * are given beside it (`multiples_of_shaft_speed`, top-level `bearing_multiples_of_shaft_speed`). A
 * numeric `bearing` is a position on the rig (IMS: bearing 3 of 4), not a type, and is skipped.
 */
function bearingOf(entry: Json, index: Json): BatchBearing | undefined {
  const candidates: [string, unknown][] = [
    ['bearing', entry.bearing],
    ['multiples_of_shaft_speed', entry.multiples_of_shaft_speed],
    ['bearing (top level)', index.bearing],
    ['bearing_multiples_of_shaft_speed (top level)', index.bearing_multiples_of_shaft_speed],
  ];
  let unknownName: [string, string] | undefined;
  for (const [field, value] of candidates) {
    if (value === undefined || value === null || typeof value === 'number') continue;
    const bearing = bearingFrom(field, value);
    if (bearing) return bearing;
    unknownName ??= [field, bearingName(value)];
  }
  if (unknownName) {
    throw new BatchIndexError(
      `"${unknownName[0]}" ${JSON.stringify(unknownName[1])} is not in the catalog (${BEARING_CATALOG.map((b) => b.id).join(', ')}); ` +
        'give {"bpfo", "bpfi", "bsf", "ftf"} multiples of shaft speed or the geometry instead',
    );
  }
  return undefined;
}

const bearingName = (value: unknown): string =>
  typeof value === 'string' ? value : isObject(value) && typeof value.model === 'string' ? value.model : '?';

/** The bearing a field describes, or undefined for a name the catalog does not know. */
function bearingFrom(field: string, value: unknown): BatchBearing | undefined {
  if (typeof value === 'string') return catalogMatch(value);
  if (!isObject(value)) throw new BatchIndexError(`bad "${field}": a catalog id, or an object`);
  if (MULTIPLE_NAMES.some((name) => value[name] !== undefined)) return multiplesFrom(field, value);
  const known = typeof value.model === 'string' ? catalogMatch(value.model) : undefined;
  if (known) return known;
  const geometry = geometryFrom(field, value);
  if (geometry) return geometry;
  if (typeof value.model === 'string') return undefined;
  throw new BatchIndexError(
    `bad "${field}": give a catalog id, {"bpfo", "bpfi", "bsf", "ftf"} or the geometry ` +
      '{"rolling_elements", "rolling_element_diameter", "pitch_diameter", "contact_angle_deg"}',
  );
}

/** "SKF 6205-2RS JEM (drive end)" → skf-6205: a catalog id, or a description that starts with one. */
function catalogMatch(text: string): BatchBearing | undefined {
  const slug = text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  let found = BEARING_CATALOG.find((b) => slug.startsWith(b.id));
  if (!found) {
    try {
      found = catalogBearing(text);
    } catch {
      return undefined;
    }
  }
  return { name: found.id, multiples: defectMultiples(found.geometry) };
}

function multiplesFrom(field: string, value: Json): BatchBearing {
  const missing = MULTIPLE_NAMES.filter(
    (name) => typeof value[name] !== 'number' || !((value[name] as number) > 0),
  );
  if (missing.length > 0) {
    throw new BatchIndexError(
      `"${field}" needs all four multiples of shaft speed as positive numbers; bad or missing ${missing.map((m) => `"${m}"`).join(', ')}`,
    );
  }
  const [bpfo, bpfi, bsf, ftf] = MULTIPLE_NAMES.map((n) => value[n] as number) as [
    number,
    number,
    number,
    number,
  ];
  const multiples: DefectMultiples = { bpfo, bpfi, bsf, ftf };
  return { name: 'multiples', multiples: { ...multiples, bsf: ballSpin(multiples) } };
}

/**
 * Ball spin is at most (1 − r²)/(2r) with r = 1 − 2·FTF (the diameter ratio at zero contact angle);
 * a value twice that is the 2 × BSF convention. Reading it as spin would look for the ball line at 4×.
 */
function ballSpin({ bsf, ftf }: DefectMultiples): number {
  const ratio = 1 - 2 * ftf;
  if (!(ratio > 0 && ratio < 1)) return bsf;
  const largest = (1 - ratio * ratio) / (2 * ratio);
  return bsf > TWICE_BSF_MARGIN * largest ? bsf / 2 : bsf;
}

const GEOMETRY_FIELDS = {
  rollingElements: ['rolling_elements', 'rollers_per_row', 'balls'],
  rollingElementDiameter: [
    'rolling_element_diameter',
    'roller_diameter',
    'ball_diameter',
    'roller_diameter_in',
    'ball_diameter_in',
    'roller_diameter_mm',
    'ball_diameter_mm',
  ],
  pitchDiameter: ['pitch_diameter', 'pitch_diameter_in', 'pitch_diameter_mm'],
} as const;

/** Geometry in one unit (the diameters' ratio is all that matters); undefined when none is given. */
function geometryFrom(field: string, value: Json): BatchBearing | undefined {
  const pick = (names: readonly string[]) => names.map((n) => value[n]).find((v) => v !== undefined);
  const given = Object.values(GEOMETRY_FIELDS).map(pick);
  if (given.every((v) => v === undefined)) return undefined;
  const names = Object.values(GEOMETRY_FIELDS);
  const bad = given.flatMap((v, i) => (typeof v === 'number' && v > 0 ? [] : [`"${names[i]![0]}"`]));
  const angle = value.contact_angle_deg ?? 0;
  if (typeof angle !== 'number' || angle < 0 || angle >= 90) bad.push('"contact_angle_deg"');
  if (bad.length > 0) {
    throw new BatchIndexError(`"${field}" geometry: bad or missing ${bad.join(', ')}`);
  }
  const [rollingElements, rollingElementDiameter, pitchDiameter] = given as number[];
  return {
    name: 'geometry',
    multiples: defectMultiples({
      rollingElements: rollingElements!,
      rollingElementDiameter: rollingElementDiameter!,
      pitchDiameter: pitchDiameter!,
      contactAngleDeg: angle as number,
    }),
  };
}
