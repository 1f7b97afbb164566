import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosisStatus, Finding } from '../shared/schema/index.js';
import { BEARING_DATA } from './helpers/bearing-data.js';
import { runCli } from './helpers/processes.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

// The real recordings ship in the repository; without them these tests must fail, not skip.
const DATA = BEARING_DATA;
const cwru = (name: string): string => join(DATA, 'cwru-dev', `${name}.f32`);
const IMS = join(DATA, 'ims-dev', 'test3_b3.f32');
const OUTER = cwru('outer_007_1hp_131');
const cwruArgs = (rpm: number): string[] => ['--fs', '12000', '--rpm', String(rpm), '--bearing', 'skf-6205'];
const NORMAL = cwru('normal_000_0hp_097');
const OUTER_ARGS = cwruArgs(1773);
const IMS_ARGS = ['--fs', '20000', '--rpm', '2000', '--bearing', 'rexnord-za-2115'];
const SNAPSHOT = 20480;

// Synthetic recordings, written in beforeAll; the directory exists from collection so the tables can name them.
const dir = tempDir('plantwatch-diagnose-');
const fixture = (name: string): string => join(dir, name);

interface DiagnoseJson {
  status: DiagnosisStatus;
  findings: Finding[];
  features: { velocityRmsMmS: number } & Record<string, unknown>;
}

const readF32le = (path: string): number[] => {
  const bytes = readFileSync(path);
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
};

const encode = (values: ArrayLike<number>, width: 4 | 8): Buffer => {
  const bytes = Buffer.alloc(values.length * width);
  for (let i = 0; i < values.length; i++) {
    if (width === 4) bytes.writeFloatLE(values[i]!, i * 4);
    else bytes.writeDoubleLE(values[i]!, i * 8);
  }
  return bytes;
};

const sine = (samples: number, hz = 157, sampleRateHz = 12000): number[] =>
  Array.from({ length: samples }, (_, i) => Math.sin((2 * Math.PI * hz * i) / sampleRateHz));

const csv = (values: ArrayLike<number | string>): string =>
  ['accel_g', ...Array.from(values, String)].join('\n');

/** Runs `diagnose --json`, checks it succeeded with exactly one well-formed JSON line, and returns it. */
async function diagnoseJson(file: string, args: string[]): Promise<DiagnoseJson> {
  const { code, output, stdout } = await runCli(['diagnose', file, ...args, '--json']);
  expect(code, output).toBe(0);
  expect(stdout).toMatch(/^[^\n]+\n$/);
  const result = JSON.parse(stdout) as DiagnoseJson;
  expect(['healthy', 'watch', 'alarm']).toContain(result.status);
  expect(Number.isFinite(result.features.velocityRmsMmS), 'features.velocityRmsMmS').toBe(true);
  const confidences = result.findings.map((f) => f.confidence);
  for (const confidence of confidences) {
    expect(confidence).toBeGreaterThanOrEqual(0);
    expect(confidence).toBeLessThanOrEqual(1);
  }
  expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
  for (const finding of result.findings) {
    expect(finding.evidence.reasoning.length, finding.fault).toBeGreaterThan(0);
    for (const step of finding.evidence.reasoning) expect(step.trim()).not.toBe('');
  }
  return result;
}

/** The first finding's fault, after checking the record was diagnosed as a fault at all. */
async function topFault(file: string, args: string[]): Promise<string> {
  const { status, findings } = await diagnoseJson(file, args);
  expect(status).not.toBe('healthy');
  expect(findings.length).toBeGreaterThan(0);
  return findings[0]!.fault;
}

beforeAll(() => {
  if (!existsSync(DATA)) throw new Error(`the diagnose tests need the real recordings in ${DATA}; not found`);
  const outer = readF32le(OUTER);
  writeFileSync(fixture('outer.f64'), encode(outer, 8));
  writeFileSync(fixture('outer-csv.dat'), csv(outer));

  const withNaN = sine(24000);
  withNaN[100] = NaN;
  writeFileSync(fixture('nan.f32'), encode(withNaN, 4));
  writeFileSync(fixture('ragged.f32'), encode(sine(1000), 4).subarray(0, 3999));
  // Header on line 1, samples on lines 2..., the bad value on line 51.
  const bad: (number | string)[] = sine(200);
  bad[49] = 'oops';
  writeFileSync(fixture('bad.csv'), csv(bad));
  writeFileSync(fixture('short.f32'), encode(sine(2048, 50, 1000), 4));
  writeFileSync(fixture('zeros.f32'), encode(new Float32Array(24000), 4));
});

afterAll(removeTempDirs);

describe.concurrent('plantwatch diagnose (built CLI, real recordings)', () => {
  it('finds the CWRU faults in the envelope spectrum near their defect frequencies', async () => {
    const cases = [
      { name: 'inner_021_1hp_210', rpm: 1774, fault: 'inner_race', multiple: 5.4152 },
      { name: 'outer_007_1hp_131', rpm: 1773, fault: 'outer_race', multiple: 3.5848 },
      { name: 'ball_021_1hp_223', rpm: 1774, fault: 'rolling_element', multiple: 2 * 2.357 },
    ];
    const results = await Promise.all(cases.map(({ name, rpm }) => diagnoseJson(cwru(name), cwruArgs(rpm))));
    cases.forEach(({ name, rpm, fault, multiple }, i) => {
      const { status, findings } = results[i]!;
      expect(status, name).not.toBe('healthy');
      expect(findings[0]?.fault, name).toBe(fault);
      const expectedHz = (multiple * rpm) / 60;
      expect(Math.abs(findings[0]!.frequencyHz - expectedHz) / expectedHz, name).toBeLessThan(0.03);
    });
  });

  it('calls the CWRU normal record healthy with no findings', async () => {
    const normal = await diagnoseJson(NORMAL, cwruArgs(1796));
    expect(normal.status).toBe('healthy');
    expect(normal.findings).toEqual([]);
  });

  it('tells a failing IMS snapshot from a healthy one with --start/--length', async () => {
    const [failing, healthy] = await Promise.all([
      topFault(IMS, [...IMS_ARGS, '--start', String(12 * SNAPSHOT), '--length', String(SNAPSHOT)]),
      diagnoseJson(IMS, [...IMS_ARGS, '--start', '0', '--length', String(SNAPSHOT)]),
    ]);
    expect(failing).toBe('outer_race');
    expect(healthy.status).toBe('healthy');
    expect(healthy.findings).toEqual([]);
    expect(healthy.features['samples']).toBe(SNAPSHOT);
  });

  it('diagnoses a CWRU record given only an rpm range, at the speed its shaft harmonics show', async () => {
    const { findings, features } = await diagnoseJson(OUTER, [
      ...['--fs', '12000', '--rpm-range', '1700-1850', '--bearing', 'skf-6205'],
    ]);
    expect(findings[0]?.fault).toBe('outer_race');
    const speed = features['speed'] as { usedRpm: number; source: string; searchedRange: unknown };
    expect(speed.source).toBe('estimated');
    expect(speed.searchedRange).toEqual({ min: 1700, max: 1850 });
    // The record's tachometer says 1773 rpm.
    expect(Math.abs(speed.usedRpm / 1773 - 1)).toBeLessThan(0.005);
  });

  it('takes the defect multiples instead of a catalog bearing', async () => {
    const multiples = ['--bpfo', '3.5848', '--bpfi', '5.4152', '--bsf', '2.357', '--ftf', '0.39828'];
    expect(await topFault(OUTER, ['--fs', '12000', '--rpm', '1773', ...multiples])).toBe('outer_race');
  });

  it.each([
    { file: 'outer.f64', args: [] },
    { file: 'outer-csv.dat', args: ['--format', 'csv'] },
  ])('reads $file $args', async ({ file, args }) => {
    expect(await topFault(fixture(file), [...OUTER_ARGS, ...args])).toBe('outer_race');
  });

  it('prints a human-readable report without --json', async () => {
    const { code, output, stdout } = await runCli(['diagnose', OUTER, ...OUTER_ARGS]);
    expect(code, output).toBe(0);
    expect(stdout).toContain(`${OUTER}: ALARM`);
    expect(stdout).toMatch(/^ {2}outer_race +confidence 0\.\d\d at 10\d\.\d Hz/m);
    expect(stdout).toContain('envelope spectrum');
    expect(stdout).toMatch(
      /^ {2}speed 1773 rpm as given, confirmed by 1× and \d harmonic\(s\), searched 1702\.1–1843\.9 rpm$/m,
    );
    expect(() => JSON.parse(stdout)).toThrow();
  });

  it('reports a constant signal as a sensor fault', async () => {
    const { status, findings } = await diagnoseJson(fixture('zeros.f32'), ['--fs', '12000', '--rpm', '1800']);
    expect(status).toBe('alarm');
    expect(findings[0]?.fault).toBe('sensor_fault');
  });

  it.each([
    {
      what: 'a missing file',
      args: [fixture('absent.f32'), ...OUTER_ARGS],
      says: [`plantwatch: diagnose: cannot read ${fixture('absent.f32')}: no such file`],
    },
    {
      what: '--fs 0',
      args: [OUTER, '--fs', '0', '--rpm', '1773'],
      says: ["error: option '--fs <Hz>' argument '0' is invalid. expected a positive number, got '0'"],
    },
    {
      what: 'no --rpm',
      args: [OUTER, '--fs', '12000'],
      says: ['plantwatch: diagnose: give the shaft speed: --rpm 1773, or --rpm-range 1700-1800'],
    },
    {
      what: 'a reversed --rpm-range',
      args: [OUTER, '--fs', '12000', '--rpm-range', '1800-1700'],
      says: ["error: option '--rpm-range <min-max>' argument '1800-1700' is invalid", 'the lower first'],
    },
    {
      what: 'a byte length that is not a multiple of 4',
      args: [fixture('ragged.f32'), ...OUTER_ARGS],
      says: [
        `plantwatch: diagnose: ${fixture('ragged.f32')}: 3999 bytes is not a whole number of 4-byte f32le samples`,
      ],
    },
    {
      what: 'a NaN sample',
      args: [fixture('nan.f32'), ...OUTER_ARGS],
      says: [`plantwatch: diagnose: ${fixture('nan.f32')}: sample 100 is NaN`],
    },
    {
      what: 'a non-numeric csv line',
      args: [fixture('bad.csv'), ...OUTER_ARGS],
      says: [`plantwatch: diagnose: ${fixture('bad.csv')}:51: "oops" is not a number`],
    },
    {
      what: 'an unknown bearing',
      args: [OUTER, '--fs', '12000', '--rpm', '1773', '--bearing', 'skf-9999'],
      says: ['plantwatch: diagnose: unknown bearing "skf-9999"', 'skf-6205'],
    },
    {
      what: 'only some of the multiples',
      args: [OUTER, '--fs', '12000', '--rpm', '1773', '--bpfo', '3.5'],
      says: ['plantwatch: diagnose: bearing multiples need all of', 'missing --bpfi, --bsf, --ftf'],
    },
    {
      what: 'a window that is not a power of two',
      args: [OUTER, ...OUTER_ARGS, '--window', '1000'],
      says: ["error: option '--window <samples>' argument '1000' is invalid", 'power of two'],
    },
    {
      what: 'a record too short for the lines',
      args: [OUTER, ...OUTER_ARGS, '--length', '1000'],
      says: ['plantwatch: diagnose: record too short: 1000 samples'],
    },
    {
      what: 'a sample rate too low for the bearing lines',
      args: [fixture('short.f32'), '--fs', '1000', '--rpm', '1773', '--bearing', 'skf-6205'],
      says: ['plantwatch: diagnose: sample rate 1000 Hz is too low for envelope analysis'],
    },
  ])('refuses $what with a precise message', async ({ args, says }) => {
    const { code, output, stdout } = await runCli(['diagnose', ...args, '--json']);
    expect(code, output).toBe(1);
    expect(stdout).toBe('');
    for (const text of says) expect(output).toContain(text);
  });
});
