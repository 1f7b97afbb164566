import { describe, expect, it } from 'vitest';
import type { DiagnosisStatus, Finding } from '../../shared/schema/index.js';
import type { Fault } from '../../shared/schema/fault.js';
import { faultOfLabel } from '../../shared/schema/fault.js';
import { type BatchOutcome, batchReport } from './batch-report.js';
import { formatBatch } from './format-batch.js';

const finding = (fault: Fault, confidence: number, frequencyHz = 100): Finding => ({
  fault,
  confidence,
  frequencyHz,
  harmonics: 1,
  evidence: {
    spectrum: 'envelope',
    method: 'test',
    peakAmplitude: 1,
    noiseFloor: 0.1,
    snr: 10,
    unit: 'g',
    lines: [],
    reasoning: [],
  },
});

const diagnosed = (
  name: string,
  label: string | undefined,
  findings: Finding[],
  status: DiagnosisStatus = findings.length === 0 ? 'healthy' : 'alarm',
  isoZone: 'A' | 'B' | 'C' | 'D' = 'A',
): BatchOutcome => ({
  name,
  ...(label !== undefined ? { label, expected: faultOfLabel(label)! } : {}),
  diagnosis: { status, findings, features: { shaftHz: 29.6, isoZone } },
});

const OUTCOMES: BatchOutcome[] = [
  diagnosed('normal-a.f32', 'normal', []),
  // Healthy by the threshold, but a finding at all is a false alarm for the engineer reading it.
  diagnosed('normal-b.f32', 'healthy', [finding('cage', 0.35)], 'watch'),
  // ISO zone C without a finding still puts a healthy machine on watch.
  diagnosed('normal-c.f32', 'normal', [], 'watch', 'C'),
  diagnosed('inner.f32', 'inner', [finding('inner_race', 0.85), finding('looseness', 0.4)]),
  diagnosed('outer-1.f32', 'outer', [finding('rolling_element', 0.7), finding('outer_race', 0.65)]),
  diagnosed('outer-2.f32', 'outer', [finding('outer_race', 0.9)]),
  diagnosed('ball.f32', 'ball', [finding('rolling_element', 0.3)], 'watch'),
  diagnosed('mystery.f32', undefined, [finding('outer_race', 0.8)]),
  {
    name: 'broken.f32',
    label: 'outer',
    expected: 'outer_race',
    error: 'cannot read broken.f32: no such file',
  },
];

describe('batch report', () => {
  const report = batchReport(OUTCOMES, 0.6);

  it('counts expected label × diagnosed top fault, with none below the confidence threshold', () => {
    expect(report.confusion.expected).toEqual(['none', 'outer_race', 'inner_race', 'rolling_element']);
    expect(report.confusion.diagnosed).toEqual(['none', 'outer_race', 'inner_race', 'rolling_element']);
    expect(report.confusion.counts).toEqual({
      none: { none: 3, outer_race: 0, inner_race: 0, rolling_element: 0 },
      outer_race: { none: 0, outer_race: 1, inner_race: 0, rolling_element: 1 },
      inner_race: { none: 0, outer_race: 0, inner_race: 1, rolling_element: 0 },
      rolling_element: { none: 1, outer_race: 0, inner_race: 0, rolling_element: 0 },
    });
  });

  it('scores each record by its strongest finding, and leaves unlabelled and broken records unscored', () => {
    const byFile = Object.fromEntries(report.records.map((r) => [r.file, r]));
    expect(byFile['outer-1.f32']).toMatchObject({
      expected: 'outer_race',
      diagnosed: 'rolling_element',
      correct: false,
      top: { fault: 'rolling_element', confidence: 0.7 },
    });
    expect(byFile['ball.f32']).toMatchObject({ diagnosed: 'none', correct: false, status: 'watch' });
    expect(byFile['normal-b.f32']).toMatchObject({ diagnosed: 'none', correct: true });
    expect(byFile['mystery.f32']).toMatchObject({ label: null, diagnosed: 'outer_race', correct: null });
    expect(byFile['broken.f32']).toMatchObject({
      status: 'error',
      diagnosed: null,
      correct: null,
      top: null,
      error: 'cannot read broken.f32: no such file',
    });
  });

  it('gives per-class recall, overall and balanced accuracy over the scored records', () => {
    expect(report.summary).toMatchObject({
      records: 9,
      scored: 7,
      unlabelled: 1,
      errors: 1,
      correct: 5,
      accuracy: 0.7143,
      minConfidence: 0.6,
      healthyRecords: 3,
      falseAlarms: 2,
    });
    expect(report.summary.perClass).toEqual({
      none: { records: 3, correct: 3, recall: 1 },
      outer_race: { records: 2, correct: 1, recall: 0.5 },
      inner_race: { records: 1, correct: 1, recall: 1 },
      rolling_element: { records: 1, correct: 0, recall: 0 },
    });
    expect(report.summary.balancedAccuracy).toBe(0.625);
  });

  it('lists every healthy record the diagnosis did not call healthy, with its findings', () => {
    expect(report.falseAlarms).toEqual([
      {
        file: 'normal-b.f32',
        label: 'healthy',
        status: 'watch',
        isoZone: 'A',
        findings: [{ fault: 'cage', confidence: 0.35, frequencyHz: 100 }],
      },
      { file: 'normal-c.f32', label: 'normal', status: 'watch', isoZone: 'C', findings: [] },
    ]);
  });

  it('moves records between none and a fault with --min-confidence', () => {
    const lenient = batchReport(OUTCOMES, 0.25);
    expect(lenient.confusion.counts.rolling_element).toMatchObject({ rolling_element: 1, none: 0 });
    expect(lenient.confusion.counts.none).toMatchObject({ none: 2, cage: 1 });
    expect(lenient.summary.correct).toBe(5);
  });

  it('prints the table, the confusion, the scores, the false alarms and the errors as text', () => {
    const text = formatBatch(report).join('\n');
    expect(text).toMatch(
      /outer-1\.f32\s+outer\s+rolling_element 0\.70 at 100\.0 Hz\s+alarm\s+rolling_element\s+NO/,
    );
    expect(text).toMatch(
      /mystery\.f32\s+-\s+outer_race 0\.80 at 100\.0 Hz\s+alarm\s+outer_race\s+unlabelled/,
    );
    expect(text).toContain('error: broken.f32: cannot read broken.f32: no such file');
    expect(text).toMatch(/expected \\ diagnosed\s+none\s+outer_race\s+inner_race\s+rolling_element/);
    expect(text).toMatch(/outer_race\s+0\s+1\s+0\s+1/);
    expect(text).toMatch(/rolling_element\s+0\/1\s+0\.0 %/);
    expect(text).toContain('accuracy: 5/7 = 71.4 %, balanced (mean recall) 62.5 %');
    expect(text).toContain('false alarms on healthy records: 2 of 3');
    expect(text).toContain('normal-b.f32 (healthy): watch, cage 0.35');
    expect(text).toContain('normal-c.f32 (normal): watch, ISO zone C');
  });

  it('says so when nothing labelled was diagnosed', () => {
    const empty = batchReport([OUTCOMES[7]!], 0.6);
    expect(empty.summary).toMatchObject({ scored: 0, accuracy: null, balancedAccuracy: null });
    expect(empty.confusion).toEqual({ expected: [], diagnosed: [], counts: {} });
    expect(formatBatch(empty).join('\n')).toContain('accuracy: no labelled record was diagnosed');
  });
});

describe('fault labels', () => {
  it.each([
    ['normal', 'none'],
    ['Healthy', 'none'],
    ['inner', 'inner_race'],
    ['Inner race', 'inner_race'],
    ['outer-race', 'outer_race'],
    ['OR', 'outer_race'],
    ['ball', 'rolling_element'],
    ['roller', 'rolling_element'],
    ['cage', 'cage'],
    ['misalignment', 'misalignment'],
    ['Outer race fault', 'outer_race'],
    ['ball defect', 'rolling_element'],
    ['IR007', 'inner_race'],
    ['OR021@6', 'outer_race'],
    ['outer_race_007_1hp', 'outer_race'],
    ['B014_2', 'rolling_element'],
    ['normal_0hp', 'none'],
  ])('reads %s as %s', (label, fault) => expect(faultOfLabel(label)).toBe(fault));

  it('knows no fault for other words, including inherited object keys', () => {
    expect(faultOfLabel('wobbly')).toBeUndefined();
    expect(faultOfLabel('constructor')).toBeUndefined();
    expect(faultOfLabel('007')).toBeUndefined();
  });
});
