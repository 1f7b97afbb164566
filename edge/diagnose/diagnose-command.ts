import { Command, InvalidArgumentError, Option, type OptionValueSource } from 'commander';
import type { AccelerationUnit } from '../../shared/schema/index.js';
import { integerIn, nonNegativeNumber, oneOf, positiveNumber } from '../../shared/cli-options.js';
import {
  catalogBearing,
  BEARING_CATALOG,
  type DefectMultiples,
  defectMultiples,
} from '../../shared/bearings.js';
import {
  ALARM_CONFIDENCE,
  DEFAULT_RPM_TOLERANCE,
  DiagnosisError,
  type RecordDiagnosis,
  type RpmRange,
  diagnoseRecord,
} from '../signal/diagnosis.js';
import { isPowerOfTwo } from '../signal/fft.js';
import { DEFAULT_MACHINE_CLASS, MACHINE_CLASS_NAMES, type MachineClass } from '../signal/iso-20816.js';
import type { BatchBearing } from './batch-index.js';
import { BatchIndexError } from './batch-index.js';
import { diagnoseBatch } from './diagnose-batch.js';
import { formatBatch } from './format-batch.js';
import { formatDiagnosis } from './format-diagnosis.js';
import { rpmRangeOption } from './rpm-range.js';
import {
  formatFromName,
  readRecording,
  RECORDING_FORMATS,
  RecordingError,
  type RecordingFormat,
} from './read-recording.js';

interface DiagnoseFlags {
  fs?: number;
  rpm?: number;
  rpmRange?: RpmRange;
  rpmTolerance: number;
  batch?: string;
  minConfidence: number;
  format?: RecordingFormat;
  bearing?: string;
  bpfo?: number;
  bpfi?: number;
  bsf?: number;
  ftf?: number;
  window?: number;
  unit: AccelerationUnit;
  machineClass: MachineClass;
  start: number;
  length?: number;
  json?: boolean;
}

const MULTIPLE_FLAGS = ['bpfo', 'bpfi', 'bsf', 'ftf'] as const;

const confidence = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a confidence from 0 to 1, got '${value}'`);
  return n;
};

const powerOfTwoWindow = (value: string): number => {
  const n = integerIn(32, 4_194_304)(value);
  if (!isPowerOfTwo(n))
    throw new InvalidArgumentError(`expected a power of two (e.g. 4096, 16384), got '${value}'`);
  return n;
};

/** --bearing or all four multiples, never a mix: a partial set would silently skip a fault. */
function bearingFrom(flags: DiagnoseFlags): DefectMultiples | undefined {
  const given = MULTIPLE_FLAGS.filter((name) => flags[name] !== undefined);
  if (flags.bearing !== undefined && given.length > 0) {
    throw new DiagnosisError(`give either --bearing or the multiples (--${given.join(', --')}), not both`);
  }
  if (flags.bearing !== undefined) return defectMultiples(catalogBearing(flags.bearing).geometry);
  if (given.length === 0) return undefined;
  if (given.length < MULTIPLE_FLAGS.length) {
    const missing = MULTIPLE_FLAGS.filter((name) => flags[name] === undefined);
    throw new DiagnosisError(
      `bearing multiples need all of --bpfo --bpfi --bsf --ftf; missing --${missing.join(', --')}`,
    );
  }
  return { bpfo: flags.bpfo!, bpfi: flags.bpfi!, bsf: flags.bsf!, ftf: flags.ftf! };
}

export function diagnoseCommand(): Command {
  return new Command('diagnose')
    .description(
      'diagnose a recorded single-channel vibration file: bearing defects, running-speed faults, ISO zone; ' +
        'or, with --batch, every record of a labelled folder, scored against its labels',
    )
    .argument(
      '[file]',
      'recording: raw little-endian float32 (f32le), float64 (f64le), or one value per line (csv)',
    )
    .option('--fs <Hz>', 'sample rate (required with a file)', positiveNumber)
    .option(
      '--rpm <rpm>',
      'shaft speed; refined from the shaft harmonics within --rpm-tolerance (with a file: this or --rpm-range)',
      positiveNumber,
    )
    .option(
      '--rpm-range <min-max>',
      'range the shaft speed lies in, e.g. 1700-1800: searched for 1× and its harmonics when --rpm is unknown',
      rpmRangeOption,
    )
    .option(
      '--rpm-tolerance <percent>',
      'how far from --rpm to look for the true shaft speed; 0 uses --rpm as given',
      percentBelow50,
      DEFAULT_RPM_TOLERANCE * 100,
    )
    .option(
      '--batch <folder>',
      'diagnose every record of a labelled folder (index.json: file, label, sample_rate_hz, rpm, bearing) and score it',
    )
    .option(
      '--min-confidence <0..1>',
      'with --batch: a top finding below this counts as no diagnosis',
      confidence,
      ALARM_CONFIDENCE,
    )
    .addOption(
      new Option('--format <format>', 'sample format (default: from the extension)').choices(
        RECORDING_FORMATS,
      ),
    )
    .option('--bearing <id>', `bearing from the catalog: ${BEARING_CATALOG.map((b) => b.id).join(', ')}`)
    .option('--bpfo <x>', 'outer-race defect frequency, multiple of shaft speed', positiveNumber)
    .option('--bpfi <x>', 'inner-race defect frequency, multiple of shaft speed', positiveNumber)
    .option(
      '--bsf <x>',
      'ball spin frequency, multiple of shaft speed (a ball defect shows at 2×)',
      positiveNumber,
    )
    .option('--ftf <x>', 'cage (fundamental train) frequency, multiple of shaft speed', positiveNumber)
    .option(
      '--window <samples>',
      'samples per analysis window, a power of two (default: from record and lines)',
      powerOfTwoWindow,
    )
    .option(
      '--unit <unit>',
      'acceleration unit of the samples: g or m/s2',
      oneOf(['g', 'm/s2'] as const),
      'g',
    )
    .option(
      '--machine-class <class>',
      `ISO 20816-3 class: ${MACHINE_CLASS_NAMES.join(', ')}`,
      oneOf(MACHINE_CLASS_NAMES),
      DEFAULT_MACHINE_CLASS,
    )
    .option('--start <sample>', 'first sample to analyse', integerIn(0, Number.MAX_SAFE_INTEGER), 0)
    .option(
      '--length <samples>',
      'samples to analyse from --start (default: to the end)',
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--json',
      'print one JSON object: {status, findings, features}; with --batch {records, confusion, summary, falseAlarms}',
    )
    .action(async (file: string | undefined, flags: DiagnoseFlags, command: Command) => {
      if (flags.batch !== undefined) return runBatch(flags.batch, file, flags, command);
      if (file === undefined)
        command.error("error: missing required argument 'file' (or give --batch <folder>)");
      if (command.getOptionValueSource('minConfidence') === 'cli')
        throw new Error(
          'diagnose: --min-confidence only applies to --batch (a single file shows every finding)',
        );
      // Required with a file only: commander's own words, as before --batch existed.
      if (flags.fs === undefined) command.error("error: required option '--fs <Hz>' not specified");
      const diagnosis = await diagnoseFile(file, flags as DiagnoseFlags & { fs: number });
      if (flags.json) {
        const { status, findings, features } = diagnosis;
        process.stdout.write(`${JSON.stringify({ status, findings, features })}\n`);
      } else {
        process.stdout.write(`${formatDiagnosis(file, diagnosis).join('\n')}\n`);
      }
    });
}

/** Per-record settings come from index.json; flags that would override all of them at once are refused. */
const INDEX_OWNED_FLAGS = [
  ['fs', '--fs'],
  ['rpm', '--rpm'],
  ['rpmRange', '--rpm-range'],
  ['start', '--start'],
  ['length', '--length'],
] as const;

async function runBatch(
  folder: string,
  file: string | undefined,
  flags: DiagnoseFlags,
  command: Command,
): Promise<void> {
  if (file !== undefined) {
    throw new Error(`diagnose: give either a file (${file}) or --batch ${folder}, not both`);
  }
  const fromCli = (name: string) => (command.getOptionValueSource(name) as OptionValueSource) === 'cli';
  const owned = INDEX_OWNED_FLAGS.filter(([name]) => fromCli(name)).map(([, flag]) => flag);
  if (owned.length > 0) {
    throw new Error(
      `diagnose: --batch takes the sample rate, rpm and segment of each record from index.json; drop ${owned.join(', ')} ` +
        '(or put them in the index entries)',
    );
  }
  let report;
  try {
    report = await diagnoseBatch(folder, {
      ...defaultBearing(flags),
      unit: flags.unit,
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.window ? { windowSize: flags.window } : {}),
      rpmTolerance: flags.rpmTolerance / 100,
      machineClass: flags.machineClass,
      minConfidence: flags.minConfidence,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    if (error instanceof BatchIndexError || error instanceof DiagnosisError || error instanceof RangeError) {
      throw new Error(`diagnose: ${error.message}`, { cause: error });
    }
    throw error;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${formatBatch(report).join('\n')}\n`);
  const failed = report.records.filter((r) => r.status === 'error');
  if (failed.length > 0) {
    throw new Error(
      `diagnose: ${failed.length} of ${report.records.length} records could not be diagnosed ` +
        `(${failed.map((r) => r.file).join(', ')}); their rows have status "error" with the reason`,
    );
  }
}

/** --bearing or the multiples: the bearing of records whose index entry names none. */
function defaultBearing(flags: DiagnoseFlags): { bearing?: BatchBearing } {
  const multiples = bearingFrom(flags);
  if (!multiples) return {};
  const name = flags.bearing !== undefined ? catalogBearing(flags.bearing).id : 'multiples';
  return { bearing: { name, multiples } };
}

function percentBelow50(value: string): number {
  const percent = nonNegativeNumber(value);
  if (percent >= 50) throw new InvalidArgumentError(`expected a percentage below 50, got '${value}'`);
  return percent;
}

async function diagnoseFile(file: string, flags: DiagnoseFlags & { fs: number }): Promise<RecordDiagnosis> {
  try {
    if (flags.rpm === undefined && flags.rpmRange === undefined)
      throw new DiagnosisError(
        'give the shaft speed: --rpm 1773, or --rpm-range 1700-1800 when only its range is known',
      );
    const bearing = bearingFrom(flags);
    const format = flags.format ?? formatFromName(file);
    const samples = await readRecording(file, format, {
      start: flags.start,
      ...(flags.length ? { length: flags.length } : {}),
    });
    return diagnoseRecord(samples, {
      sampleRateHz: flags.fs,
      ...(flags.rpm !== undefined ? { rpm: flags.rpm } : {}),
      ...(flags.rpmRange ? { rpmRange: flags.rpmRange } : {}),
      rpmTolerance: flags.rpmTolerance / 100,
      unit: flags.unit,
      ...(bearing ? { bearing } : {}),
      ...(flags.window ? { windowSize: flags.window } : {}),
      machineClass: flags.machineClass,
    });
  } catch (error) {
    if (error instanceof DiagnosisError || error instanceof RecordingError || error instanceof RangeError) {
      throw new Error(`diagnose: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
