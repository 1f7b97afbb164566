import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchReport } from '../edge/diagnose/batch-report.js';
import { BEARING_DATA } from './helpers/bearing-data.js';
import { runCli } from './helpers/processes.js';

/*
 * The same real recordings diagnosed on the native kernels (FFTW) and on the WebAssembly path they
 * replace (PLANTWATCH_FFT=wasm), and on the native kernels' portable loops instead of their AVX2
 * ones (PLANTWATCH_NATIVE_LOOPS=portable): the reports must be the same, findings, confidences and lines.
 */
describe('plantwatch diagnose on the native kernels and on WebAssembly', () => {
  for (const set of ['cwru-dev', 'ims-dev']) {
    it(`prints the same --batch report for ${set}`, async () => {
      const folder = join(BEARING_DATA, set);
      const native = await runCli(['diagnose', '--batch', folder, '--json']);
      const wasm = await runCli(['diagnose', '--batch', folder, '--json'], { PLANTWATCH_FFT: 'wasm' });
      const portable = await runCli(['diagnose', '--batch', folder, '--json'], {
        PLANTWATCH_NATIVE_LOOPS: 'portable',
      });
      for (const run of [native, wasm, portable]) expect(run.code, run.output).toBe(0);
      const report = JSON.parse(native.stdout) as BatchReport;
      expect(report.records.length).toBeGreaterThanOrEqual(2);
      expect(report.records.some((r) => r.findings.length > 0)).toBe(true);
      expect(native.stdout).toBe(wasm.stdout);
      expect(native.stdout).toBe(portable.stdout);
    });
  }
});
