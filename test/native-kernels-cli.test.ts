import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchReport } from '../edge/diagnose/batch-report.js';
import { BEARING_DATA } from './helpers/bearing-data.js';
import { runCli } from './helpers/processes.js';

/*
 * The same real recordings diagnosed on the native kernels (FFTW) and on the WebAssembly path they
 * replace (PLANTWATCH_FFT=wasm), and on the native kernels' portable loops and their AVX2 ones
 * instead of the widest the CPU runs (PLANTWATCH_NATIVE_LOOPS=portable, =avx2): the reports must be
 * the same, findings, confidences and lines.
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
      const avx2 = await runCli(['diagnose', '--batch', folder, '--json'], {
        PLANTWATCH_NATIVE_LOOPS: 'avx2',
      });
      for (const run of [native, wasm, portable, avx2]) expect(run.code, run.output).toBe(0);
      const report = JSON.parse(native.stdout) as BatchReport;
      expect(report.records.length).toBeGreaterThanOrEqual(2);
      expect(report.records.some((r) => r.findings.length > 0)).toBe(true);
      expect(native.stdout).toBe(wasm.stdout);
      expect(native.stdout).toBe(portable.stdout);
      expect(native.stdout).toBe(avx2.stdout);
    });
  }
});
