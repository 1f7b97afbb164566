import { afterAll, describe, expect, it } from 'vitest';
import type { BatchReport } from '../edge/diagnose/batch-report.js';
import { runCli } from './helpers/processes.js';
import { writeRigBatch } from './helpers/rig-batch.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

afterAll(() => removeTempDirs());

// The built CLI over a generated folder of other rigs (CWRU 48 kHz and fan end, Paderborn 64 kHz,
// MFPT 97,656 and 48,828 Hz): each fault named, no false alarm, no record refused.
describe('plantwatch diagnose --batch on other rigs', () => {
  it('names every fault and raises nothing on the healthy records', async () => {
    const folder = tempDir('plantwatch-rigs-');
    const records = writeRigBatch(folder, { slip: 0.02, shaftVelocityMmS: 2, seed: 7 });
    const { code, output, stdout } = await runCli(['diagnose', '--batch', folder, '--json']);
    expect(code, output).toBe(0);
    const report = JSON.parse(stdout) as BatchReport;
    expect(report.summary.records).toBe(records);
    expect(report.summary.errors).toBe(0);
    // Before the window planning kept Welch averaging, mfpt-97k_healthy was a false alarm.
    expect(report.falseAlarms.map((r) => r.file)).toEqual([]);
    expect(report.records.filter((r) => !r.correct).map((r) => `${r.file}: ${r.diagnosed}`)).toEqual([]);
  }, 120_000);
});
