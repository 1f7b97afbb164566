import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { planDiagnosis } from './diagnosis.js';
import { buildNativeKernels, FFTW_INSTALL_HINT } from './native/build.js';
import { nativeKernels, windowTransforms } from './native-kernels.js';
import { SpectraAccumulator } from './spectra-accumulator.js';
import { median } from './spectral-lines.js';
import { MomentSums } from './spectrum-kernels.js';

/*
 * The native kernels (FFTW and C) against the WebAssembly and JavaScript path they replace when
 * built: the same spectra to float32 rounding, the same statistics, the same medians exactly.
 * CI installs FFTW, so a missing build fails here rather than quietly testing only one path.
 */

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
}

/** Noise, a shaft tone and impacts ringing a resonance at an outer-race rate: lines in both spectra. */
function machineSignal(n: number, sampleRateHz: number, seed: number): Float64Array {
  const next = random(seed);
  const signal = new Float64Array(n);
  const bpfoHz = 3.585 * 49.67;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRateHz;
    const sinceImpact = t % (1 / bpfoHz);
    signal[i] =
      0.3 * Math.sin(2 * Math.PI * 49.67 * t) +
      Math.exp(-sinceImpact * 800) * Math.sin(2 * Math.PI * 6000 * sinceImpact) +
      0.2 * next();
  }
  return signal;
}

/** Largest difference relative to the largest value of the reference. */
function relativeError(actual: Float64Array, expected: Float64Array): number {
  let error = 0;
  let largest = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
    largest = Math.max(largest, Math.abs(expected[i]!));
  }
  return error / largest;
}

const kernels = nativeKernels!;

describe('native analysis kernels', () => {
  it('are built on this machine (npm run build compiles them when FFTW is installed)', () => {
    expect(
      windowTransforms.engine,
      `the native kernels are not in use: ${windowTransforms.reason}; ${FFTW_INSTALL_HINT}`,
    ).toBe('fftw');
    expect(nativeKernels).not.toBeNull();
  });

  it('give the WebAssembly spectra to float32 rounding, every candidate band, float32 and float64 samples', () => {
    const skf6205 = defectMultiples(catalogBearing('skf-6205').geometry);
    for (const [n, sampleRateHz] of [
      [4096, 25_600],
      [16_384, 25_600],
      [8192, 12_000],
    ] as const) {
      const plan = planDiagnosis(n, { sampleRateHz, rpm: 2980, unit: 'g', bearing: skf6205, windowSize: n });
      const accumulator = (k: typeof nativeKernels) =>
        new SpectraAccumulator(
          n,
          sampleRateHz,
          plan.envelopeBand,
          plan.envelopeMaxHz,
          plan.candidateBands.slice(1),
          plan.spectrumMaxHz,
          k,
        );
      const native = accumulator(kernels);
      const wasm = accumulator(null);
      const signal64 = machineSignal(3 * n, sampleRateHz, n);
      const signal32 = new Float32Array(signal64);
      const nativeSums = new MomentSums();
      const wasmSums = new MomentSums();
      for (const acc of [native, wasm]) acc.evaluateCandidates(true);
      native.addMeasuredWindow(signal32.subarray(0, n), nativeSums);
      wasm.addMeasuredWindow(signal32.subarray(0, n), wasmSums);
      // Windows at odd offsets of both sample types, as a record longer than one window is read.
      for (const start of [n / 2, 7, n + 3]) {
        native.addWindow(signal64, start);
        wasm.addWindow(signal64, start);
        native.addWindow(signal32, start);
        wasm.addWindow(signal32, start);
      }
      expect(native.windowCount).toBe(7);
      const a = native.averages();
      const b = wasm.averages();
      expect(a.amplitude.length).toBe(b.amplitude.length);
      expect(relativeError(a.amplitude, b.amplitude)).toBeLessThan(1e-5);
      expect(relativeError(a.meanSquare, b.meanSquare)).toBeLessThan(1e-5);
      const nativeBands = native.candidateEnvelopes();
      const wasmBands = wasm.candidateEnvelopes();
      expect(nativeBands.length).toBe(plan.candidateBands.length);
      nativeBands.forEach((band, i) => {
        expect(band.envelope.length).toBe(wasmBands[i]!.envelope.length);
        expect(Math.max(...band.envelope)).toBeGreaterThan(0);
        expect(relativeError(band.envelope, wasmBands[i]!.envelope)).toBeLessThan(1e-5);
      });
      const nativeStats = nativeSums.stats();
      const wasmStats = wasmSums.stats();
      for (const key of ['rms', 'peak', 'crestFactor', 'kurtosis'] as const)
        expect(nativeStats[key]).toBeCloseTo(wasmStats[key], 10);
    }
  });

  it('whiten bins too small or too large for the fast reciprocal square root as the WebAssembly path does', () => {
    // Scaled so that bins' squared magnitudes fall below float32's normal range, or overflow it: the
    // hand-written AVX2 whitening (avx2-fma-loops.c) hands those bins to the exact scalar code.
    const n = 4096;
    const plan = planDiagnosis(n, {
      sampleRateHz: 25_600,
      rpm: 2980,
      unit: 'g',
      bearing: defectMultiples(catalogBearing('skf-6205').geometry),
      windowSize: n,
    });
    for (const scale of [1e-20, 1e16]) {
      const signal = new Float32Array(machineSignal(n, 25_600, 11).map((v) => v * scale));
      const envelopes = [kernels, null].map((k) => {
        const accumulator = new SpectraAccumulator(
          n,
          25_600,
          plan.envelopeBand,
          plan.envelopeMaxHz,
          [],
          plan.spectrumMaxHz,
          k,
        );
        accumulator.addWindow(signal);
        return Float64Array.from(accumulator.averages().envelope);
      });
      expect(envelopes[0]!.every(Number.isFinite), `scale ${scale}`).toBe(true);
      expect(relativeError(envelopes[0]!, envelopes[1]!), `scale ${scale}`).toBeLessThan(1e-5);
    }
  });

  it('re-plan an engine measured after its first 256 windows, in the background, with the same spectra', async () => {
    // A size no other test here runs 256 windows of: its plans are still the estimated ones.
    const n = 32_768;
    const skf6205 = defectMultiples(catalogBearing('skf-6205').geometry);
    const plan = planDiagnosis(n, {
      sampleRateHz: 51_200,
      rpm: 2980,
      unit: 'g',
      bearing: skf6205,
      windowSize: n,
    });
    const accumulator = new SpectraAccumulator(
      n,
      51_200,
      plan.envelopeBand,
      plan.envelopeMaxHz,
      [],
      plan.spectrumMaxHz,
      kernels,
    );
    const signal = machineSignal(n, 51_200, 5);
    accumulator.addWindow(signal);
    const estimated = Float64Array.from(accumulator.averages().envelope);
    for (let i = 1; i < 256; i++) accumulator.addWindow(signal);
    expect(kernels.measuringPlans()).toBeGreaterThan(0);
    const deadline = Date.now() + 60_000;
    while (kernels.measuringPlans() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(kernels.measuringPlans()).toBe(0);
    accumulator.reset();
    accumulator.addWindow(signal);
    const measured = accumulator.averages().envelope;
    expect(Math.max(...measured)).toBeGreaterThan(0);
    expect(relativeError(measured, estimated)).toBeLessThan(1e-5);
  }, 90_000);

  it('compute no envelope for a plan without a bearing, and refuse a window outside the samples', () => {
    const plan = planDiagnosis(4096, { sampleRateHz: 25_600, rpm: 2980, unit: 'g', windowSize: 4096 });
    const accumulator = new SpectraAccumulator(
      4096,
      25_600,
      plan.envelopeBand,
      plan.envelopeMaxHz,
      [],
      undefined,
      kernels,
    );
    accumulator.addWindow(machineSignal(4096, 25_600, 3));
    expect(accumulator.averages().envelope.length).toBe(0);
    expect(Math.max(...accumulator.averages().amplitude)).toBeGreaterThan(0.1);
    expect(() => accumulator.addWindow(new Float64Array(4096), 1)).toThrow(/within the samples/);
  });

  it('take the median of two runs exactly as the JavaScript quickselect, and NaN where the order of words fails', () => {
    const next = random(7);
    for (let trial = 0; trial < 300; trial++) {
      const length = 64 + Math.floor((next() + 0.5) * 2000);
      const spectrum = new Float64Array(length);
      // Magnitudes over six decades, with ties (float32 values) as real spectra have.
      for (let k = 0; k < length; k++) spectrum[k] = Math.fround(10 ** (6 * (next() + 0.5) - 4));
      if (trial % 10 === 0) spectrum.fill(0, 0, length >> 2);
      const from = Math.floor((next() + 0.5) * (length / 3));
      const to = from + Math.floor((next() + 0.5) * (length / 3));
      const from2 = to + Math.floor((next() + 0.5) * 5);
      const to2 = Math.min(length, from2 + Math.floor((next() + 0.5) * (length / 3)));
      const values = Float64Array.from([...spectrum.subarray(from, to), ...spectrum.subarray(from2, to2)]);
      expect(kernels.medianOfRuns(spectrum, from, to, from2, to2)).toBe(median(values, values.length));
    }
    // Runs longer than the native kernel's stack buffers (2,048 values).
    const long = Float64Array.from({ length: 6000 }, () => Math.fround(10 ** (6 * (next() + 0.5) - 4)));
    const longValues = Float64Array.from([...long.subarray(10, 3000), ...long.subarray(3005, 5990)]);
    expect(kernels.medianOfRuns(long, 10, 3000, 3005, 5990)).toBe(median(longValues, longValues.length));
    const spectrum = new Float64Array(200).fill(1);
    spectrum[50] = -1;
    expect(kernels.medianOfRuns(spectrum, 0, 100, 100, 200)).toBeNaN();
    spectrum[50] = Number.POSITIVE_INFINITY;
    expect(kernels.medianOfRuns(spectrum, 0, 100, 100, 200)).toBeNaN();
    expect(() => kernels.medianOfRuns(spectrum, 0, 100, 150, 201)).toThrow(/outside the spectrum/);
  });
});

describe('building the native kernels', () => {
  it('says what to install instead of failing when there is no C compiler', () => {
    const build = buildNativeKernels('/nonexistent/cc');
    expect(build.built).toBe(false);
    expect(!build.built && build.reason).toMatch(
      /no C compiler \(\/nonexistent\/cc\) found: install a C compiler and FFTW/,
    );
  });
});
