/**
 * A run-to-failure scenario file: the machine, its fault, when the defect starts and when the
 * machine fails, how the defect grows in between, and how often a waveform is taken.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Duration, durationMs } from '../../shared/duration.js';
import {
  BEARING_CATALOG,
  catalogBearing,
  type DefectMultiples,
  defectMultiples,
} from '../../shared/bearings.js';
import { packageRoot } from '../../shared/paths.js';
import { FileError, type FileProblem, readYamlFile } from '../../shared/yaml-file.js';
import { FAULT_KINDS, type FaultKind } from '../vibration/machine-model.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });

const Growth = Type.Union([
  Type.Object(
    {
      law: Type.Literal('exponential'),
      /** Relative growth per simulated day: severity = exp(-rate × days left to failure). */
      ratePerDay: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ law: Type.Literal('linear') }, { additionalProperties: false }),
]);

export const ScenarioFile = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 500 })),
    asset: Id,
    channel: Type.Optional(Id),
    rpm: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
    /** Bearing catalog id (shared/bearings.ts). */
    bearing: Type.Optional(Type.String({ minLength: 1 })),
    fault: Type.Union(FAULT_KINDS.map((k) => Type.Literal(k))),
    /** Simulated time from the start at which the defect appears. */
    onset: Duration,
    /** Simulated time from the start at which the machine fails (severity 1); the run ends here. */
    failure: Duration,
    growth: Growth,
    sampleRateHz: Type.Integer({ minimum: 1000, maximum: 1_000_000 }),
    samplesPerWaveform: Type.Integer({ minimum: 1024, maximum: 1_048_576 }),
    /** One waveform every this much simulated time. */
    interval: Duration,
    /** Late-stage bearing damage raises shaft harmonics and a broadband floor (default true). */
    damageSpread: Type.Optional(Type.Boolean()),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
  },
  { additionalProperties: false },
);
export type ScenarioFile = Static<typeof ScenarioFile>;

/** A scenario with defaults applied and durations in milliseconds. */
export interface Scenario {
  name: string;
  file: string;
  description: string;
  assetId: string;
  channel: string;
  rpm: number;
  bearingId: string;
  bearing: DefectMultiples;
  fault: FaultKind;
  onsetMs: number;
  failureMs: number;
  growth: ScenarioFile['growth'];
  sampleRateHz: number;
  samplesPerWaveform: number;
  intervalMs: number;
  damageSpread: boolean;
  seed: number;
}

/** The shipped scenarios, from source and from dist/ alike. */
export const scenariosDir = (): string => join(packageRoot(), 'simulators', 'scenarios');

export function shippedScenarioNames(): string[] {
  return readdirSync(scenariosDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** A shipped scenario's name or a path to a scenario file. */
export function scenarioPath(nameOrFile: string): string {
  if (nameOrFile.endsWith('.yaml') || nameOrFile.endsWith('.yml') || nameOrFile.includes('/'))
    return nameOrFile;
  const shipped = join(scenariosDir(), `${nameOrFile}.yaml`);
  if (!existsSync(shipped)) {
    throw new FileError([
      {
        file: nameOrFile,
        line: 0,
        field: '',
        message: `no such scenario; shipped ones are ${shippedScenarioNames().join(', ')} (or give a .yaml file)`,
      },
    ]);
  }
  return shipped;
}

/** Reads and checks a scenario; every problem is reported as `file:line: field: message`. */
export function loadScenario(nameOrFile: string): Scenario {
  const file = scenarioPath(nameOrFile);
  const parsed = readYamlFile(file, ScenarioFile);
  const s = parsed.value;
  const problems: FileProblem[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ file, line: parsed.lineOf(field), field, message });

  const bearingId = s.bearing ?? 'skf-6205';
  let bearing: DefectMultiples | undefined;
  try {
    bearing = defectMultiples(catalogBearing(bearingId).geometry);
  } catch {
    problem(
      'bearing',
      `unknown bearing '${bearingId}'; the catalog has ${BEARING_CATALOG.map((b) => b.id).join(', ')}`,
    );
  }
  const onsetMs = durationMs(s.onset);
  const failureMs = durationMs(s.failure);
  const intervalMs = durationMs(s.interval);
  if (failureMs <= onsetMs) problem('failure', `must come after onset (${s.onset}), got ${s.failure}`);
  if (intervalMs * 1000 < (s.samplesPerWaveform * 1000) / s.sampleRateHz)
    problem('interval', `must be at least one waveform long (${s.samplesPerWaveform / s.sampleRateHz} s)`);
  if (failureMs / Math.max(intervalMs, 1) > 1_000_000)
    problem(
      'interval',
      `gives more than a million waveforms up to failure (${s.failure}); take a longer interval`,
    );
  if (s.rpm / 60 >= s.sampleRateHz / 8)
    problem('sampleRateHz', `too low for ${s.rpm} rpm: needs at least ${Math.ceil((s.rpm / 60) * 8)} Hz`);
  if (problems.length > 0 || !bearing) throw new FileError(problems);

  return {
    name: basename(file).replace(/\.ya?ml$/, ''),
    file,
    description: s.description ?? '',
    assetId: s.asset,
    channel: s.channel ?? 'de-accel',
    rpm: s.rpm,
    bearingId,
    bearing,
    fault: s.fault,
    onsetMs,
    failureMs,
    growth: s.growth,
    sampleRateHz: s.sampleRateHz,
    samplesPerWaveform: s.samplesPerWaveform,
    intervalMs,
    damageSpread: s.damageSpread ?? true,
    seed: s.seed ?? 1,
  };
}

const DAY_MS = 86_400_000;

/** Defect severity (0..1) at a simulated time: nothing before onset, 1 at failure. */
export function severityAt(scenario: Scenario, simulatedMs: number): number {
  const { onsetMs, failureMs, growth } = scenario;
  if (scenario.fault === 'healthy' || simulatedMs < onsetMs) return 0;
  if (simulatedMs >= failureMs) return 1;
  if (growth.law === 'linear') return (simulatedMs - onsetMs) / (failureMs - onsetMs);
  return Math.exp((-growth.ratePerDay * (failureMs - simulatedMs)) / DAY_MS);
}
