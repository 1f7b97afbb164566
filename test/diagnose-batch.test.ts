import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchReport } from '../edge/diagnose/batch-report.js';
import { BEARING_DATA } from './helpers/bearing-data.js';
import { runCli } from './helpers/processes.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

// The real CWRU development records, linked into a temporary folder with an index of our own: the
// shipped index.json entries, a healthy label on a faulty record (a false alarm by construction) and
// a truncated file (an unreadable record that must not hide the others).
const CWRU = join(BEARING_DATA, 'cwru-dev');
const cwruIndex = JSON.parse(readFileSync(join(CWRU, 'index.json'), 'utf8')) as {
  files: Record<string, unknown>[];
};
const entry = (file: string) => cwruIndex.files.find((f) => f.file === file)!;
const MISLABELLED = 'outer_labelled_normal.f32';
const BROKEN = 'truncated_outer.f32';

let folder: string;
let cleanFolder: string;

function linkRecords(dir: string, files: string[]): void {
  for (const file of files) symlinkSync(join(CWRU, file), join(dir, file));
}

beforeAll(() => {
  const records = cwruIndex.files.map((f) => f.file as string);
  folder = tempDir('plantwatch-batch-');
  linkRecords(folder, records);
  symlinkSync(join(CWRU, 'outer_007_1hp_131.f32'), join(folder, MISLABELLED));
  writeFileSync(join(folder, BROKEN), Buffer.alloc(3999));
  writeFileSync(
    join(folder, 'index.json'),
    JSON.stringify({
      ...cwruIndex,
      files: [
        ...cwruIndex.files,
        { ...entry('outer_007_1hp_131.f32'), file: MISLABELLED, label: 'healthy' },
        { ...entry('outer_007_1hp_131.f32'), file: BROKEN },
      ],
    }),
  );
  cleanFolder = tempDir('plantwatch-batch-clean-');
  linkRecords(cleanFolder, ['normal_000_0hp_097.f32', 'outer_007_1hp_131.f32']);
  writeFileSync(
    join(cleanFolder, 'index.json'),
    JSON.stringify({
      files: [
        {
          file: 'normal_000_0hp_097.f32',
          label: 'normal',
          sample_rate_hz: 12000,
          rpm: 1796,
          bearing: 'skf-6205',
        },
        // A miss on purpose: the run still completes with exit 0.
        {
          file: 'outer_007_1hp_131.f32',
          label: 'inner',
          sample_rate_hz: 12000,
          rpm: 1773,
          bearing: 'skf-6205',
        },
      ],
    }),
  );
});

afterAll(() => removeTempDirs());

describe('plantwatch diagnose --batch', () => {
  it('prints the per-record table, the confusion, the scores, the false alarms and the unreadable record', async () => {
    const { code, output, stdout } = await runCli(['diagnose', '--batch', folder]);
    // One unreadable record: the others are reported, and the exit code says something was not diagnosed.
    expect(code, output).toBe(1);
    expect(output).toContain('record 1/6: normal_000_0hp_097.f32');
    expect(output).toContain(`record 6/6: ${BROKEN}`);
    expect(stdout).toMatch(/normal_000_0hp_097\.f32\s+normal\s+-\s+healthy\s+none\s+yes/);
    expect(stdout).toMatch(
      /inner_021_1hp_210\.f32\s+inner\s+inner_race 0\.\d\d at 1[56]\d\.\d Hz\s+alarm\s+inner_race\s+yes/,
    );
    expect(stdout).toMatch(
      /outer_007_1hp_131\.f32\s+outer\s+outer_race 0\.\d\d at 10\d\.\d Hz\s+alarm\s+outer_race\s+yes/,
    );
    expect(stdout).toMatch(
      /outer_labelled_normal\.f32\s+healthy\s+outer_race 0\.\d\d .*alarm\s+outer_race\s+NO/,
    );
    expect(stdout).toMatch(new RegExp(`${BROKEN}\\s+outer\\s+-\\s+error\\s+-\\s+-`));
    expect(stdout).toContain(
      `error: ${BROKEN}: ${join(folder, BROKEN)}: 3999 bytes is not a whole number of 4-byte f32le samples`,
    );
    expect(stdout).toMatch(/expected \\ diagnosed\s+none\s+outer_race\s+inner_race/);
    expect(stdout).toMatch(/\n\s+none\s+1\s+1\s+0/); // normal → none; the mislabelled outer → outer_race
    expect(stdout).toMatch(/\n\s+outer_race\s+0\s+1\s+0/);
    expect(stdout).toMatch(/\n\s+inner_race\s+0\s+0\s+1/);
    expect(stdout).toContain('records: 6, scored 5, unlabelled 0, errors 1');
    expect(stdout).toContain('false alarms on healthy records: 1 of 2');
    expect(stdout).toMatch(/outer_labelled_normal\.f32 \(healthy\): alarm, outer_race 0\.\d\d/);
    expect(output).toContain(
      `plantwatch: diagnose: 1 of 6 records could not be diagnosed (${BROKEN}); their rows have status "error"`,
    );
  });

  it('prints one JSON object with records, confusion, summary and falseAlarms under --json', async () => {
    const { code, output, stdout } = await runCli(['diagnose', '--batch', folder, '--json']);
    expect(code, output).toBe(1);
    const report = JSON.parse(stdout) as BatchReport;
    expect(Object.keys(report)).toEqual(['records', 'confusion', 'summary', 'falseAlarms']);
    expect(
      report.records.map((r) => [r.file, r.expected, r.status === 'error' ? 'error' : r.diagnosed]),
    ).toEqual([
      ['normal_000_0hp_097.f32', 'none', 'none'],
      ['inner_021_1hp_210.f32', 'inner_race', 'inner_race'],
      ['outer_007_1hp_131.f32', 'outer_race', 'outer_race'],
      ['ball_021_1hp_223.f32', 'rolling_element', report.records[3]!.diagnosed],
      [MISLABELLED, 'none', 'outer_race'],
      [BROKEN, 'outer_race', 'error'],
    ]);
    for (const record of report.records) {
      expect(Object.keys(record).sort()).toEqual(
        [
          'bearing',
          'correct',
          'diagnosed',
          'error',
          'expected',
          'file',
          'findings',
          'isoZone',
          'label',
          'shaftHz',
          'status',
          'top',
        ].sort(),
      );
    }
    expect(report.records[2]).toMatchObject({
      label: 'outer',
      correct: true,
      bearing: 'multiples',
      top: { fault: 'outer_race' },
      error: null,
    });
    expect(report.records[5]).toMatchObject({ status: 'error', correct: null, top: null, findings: [] });
    expect(report.records[5]!.error).toContain('3999 bytes is not a whole number of 4-byte f32le samples');

    // The ball record is hard (README); wherever it lands, the table and the records agree.
    const ball = report.records[3]!;
    const { counts } = report.confusion;
    expect(counts.rolling_element![ball.diagnosed!]).toBe(1);
    expect(Object.values(counts.rolling_element!).reduce((a, b) => a + b, 0)).toBe(1);
    expect(counts.none).toMatchObject({ none: 1, outer_race: 1 });
    expect(counts.outer_race).toMatchObject({ outer_race: 1, none: 0 });
    expect(counts.inner_race).toMatchObject({ inner_race: 1, none: 0 });
    expect(report.confusion.expected).toEqual(['none', 'outer_race', 'inner_race', 'rolling_element']);

    const ballCorrect = ball.correct ? 1 : 0;
    expect(report.summary).toMatchObject({
      records: 6,
      scored: 5,
      unlabelled: 0,
      errors: 1,
      correct: 3 + ballCorrect,
      accuracy: Number(((3 + ballCorrect) / 5).toFixed(4)),
      healthyRecords: 2,
      falseAlarms: 1,
      minConfidence: 0.6,
    });
    expect(report.summary.perClass.none).toEqual({ records: 2, correct: 1, recall: 0.5 });
    expect(report.falseAlarms).toHaveLength(1);
    expect(report.falseAlarms[0]).toMatchObject({ file: MISLABELLED, label: 'healthy', status: 'alarm' });
    expect(report.falseAlarms[0]!.findings[0]!.fault).toBe('outer_race');
  });

  it('exits 0 when every record was diagnosed, misses included, and applies --min-confidence', async () => {
    const { code, output, stdout } = await runCli(['diagnose', '--batch', cleanFolder, '--json']);
    expect(code, output).toBe(0);
    const report = JSON.parse(stdout) as BatchReport;
    expect(report.summary).toMatchObject({ scored: 2, correct: 1, errors: 0, falseAlarms: 0 });
    expect(report.records[1]).toMatchObject({
      expected: 'inner_race',
      diagnosed: 'outer_race',
      correct: false,
    });
    // A threshold above every confidence: nothing counts as a diagnosis, the outer record becomes none.
    const strict = await runCli(['diagnose', '--batch', cleanFolder, '--json', '--min-confidence', '1']);
    expect(strict.code, strict.output).toBe(0);
    const strictReport = JSON.parse(strict.stdout) as BatchReport;
    expect(strictReport.records[1]).toMatchObject({ diagnosed: 'none', top: { fault: 'outer_race' } });
    expect(strictReport.summary.minConfidence).toBe(1);
  });

  it.each([
    {
      what: 'a missing folder',
      args: () => ['--batch', join(folder, 'absent')],
      says: () => [`plantwatch: diagnose: cannot read --batch ${join(folder, 'absent')}: no such folder`],
    },
    {
      what: 'a folder without index.json',
      args: () => ['--batch', tempDir('plantwatch-batch-empty-')],
      says: () => ['has no index.json; write one listing the labelled records, e.g. {"files": [{"file"'],
    },
    {
      what: 'a file given as the folder',
      args: () => ['--batch', join(folder, 'index.json')],
      says: () => ['is a file, not a folder'],
    },
    {
      what: 'a bad index entry',
      args: () => {
        const dir = tempDir('plantwatch-batch-bad-');
        writeFileSync(
          join(dir, 'index.json'),
          JSON.stringify({ files: [{ file: 'x.f32', label: 'outer', sample_rate_hz: 12000, rpm: -5 }] }),
        );
        return ['--batch', dir];
      },
      says: () => ['index.json: files[0] (x.f32): bad (-5) "rpm", a positive number'],
    },
    {
      what: 'a file beside --batch',
      args: () => [join(CWRU, 'outer_007_1hp_131.f32'), '--batch', folder],
      says: () => [
        `plantwatch: diagnose: give either a file (${join(CWRU, 'outer_007_1hp_131.f32')}) or --batch`,
      ],
    },
    {
      what: '--rpm and --start with --batch',
      args: () => ['--batch', folder, '--rpm', '1773', '--start', '100'],
      says: () => [
        'plantwatch: diagnose: --batch takes the sample rate, rpm and segment of each record from index.json; drop --rpm, --start',
      ],
    },
    {
      what: '--min-confidence without --batch',
      args: () => [
        join(CWRU, 'outer_007_1hp_131.f32'),
        '--fs',
        '12000',
        '--rpm',
        '1773',
        '--min-confidence',
        '0.5',
      ],
      says: () => ['plantwatch: diagnose: --min-confidence only applies to --batch'],
    },
    {
      what: 'a confidence above 1',
      args: () => ['--batch', folder, '--min-confidence', '2'],
      says: () => [
        "error: option '--min-confidence <0..1>' argument '2' is invalid. expected a confidence from 0 to 1",
      ],
    },
    {
      what: 'neither a file nor --batch',
      args: () => ['--fs', '12000', '--rpm', '1773'],
      says: () => ["error: missing required argument 'file' (or give --batch <folder>)"],
    },
  ])('refuses $what with a precise message and exit 1', async ({ args, says }) => {
    const { code, output, stdout } = await runCli(['diagnose', ...args(), '--json']);
    expect(code, output).toBe(1);
    expect(stdout).toBe('');
    for (const text of says()) expect(output).toContain(text);
  });
});
