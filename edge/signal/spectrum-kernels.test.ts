import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { diagnoseSpectra, planDiagnosis, WindowDiagnoser } from './diagnosis.js';
import { SpectraAccumulator } from './spectra-accumulator.js';
import {
  accumulateMagnitude,
  accumulatePower,
  MomentSums,
  momentsOf,
  powerToAverages,
  relativeSquaredEnvelope,
  whitenBand,
  windowWithMoments,
} from './spectrum-kernels.js';
import { timeDomainStats } from './time-domain.js';
import { hann, sumOf, sumOfSquares } from './window.js';

/*
 * Each kernel against the straightforward computation it replaced, on seeded random data: the
 * restructuring must not change a result beyond floating-point rounding.
 */

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
}

const randomArray = <T extends Float32Array | Float64Array>(array: T, seed: number, offset = 0): T => {
  const next = random(seed);
  for (let i = 0; i < array.length; i++) array[i] = offset + next();
  return array;
};

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe('spectrum kernels against their reference', () => {
  it('statistics from one fused pass equal the two-pass ones, also under a large DC offset', () => {
    for (const [seed, offset] of [
      [1, 0],
      [2, 5],
      [3, 1000],
      [4, -3e4],
    ] as const) {
      for (const samples of [
        randomArray(new Float64Array(4096), seed, offset),
        randomArray(new Float32Array(4096), seed, offset),
      ]) {
        // Impulses make the kurtosis worth checking.
        for (let i = 100; i < samples.length; i += 700) samples[i]! += 3;
        const reference = timeDomainStats(samples);
        const window = hann(samples.length);
        const out = new Float32Array(samples.length);
        const fused = new MomentSums();
        windowWithMoments(samples, 0, window, out, samples.length, fused);
        const whole = new MomentSums();
        momentsOf(samples, whole);
        for (const stats of [fused.stats(), whole.stats()]) {
          expect(relative(stats.rms, reference.rms)).toBeLessThan(1e-9);
          expect(relative(stats.peak, reference.peak)).toBeLessThan(1e-9);
          expect(relative(stats.crestFactor, reference.crestFactor)).toBeLessThan(1e-9);
          expect(relative(stats.kurtosis, reference.kurtosis)).toBeLessThan(1e-7);
        }
        const windowed = Float32Array.from(samples, (x, i) => x * window[i]!);
        expect(out).toEqual(windowed);
      }
    }
  });

  it('a constant signal has zero RMS and kurtosis, so the analysis calls it flat', () => {
    const sums = new MomentSums();
    momentsOf(new Float32Array(1024).fill(2.5), sums);
    expect(sums.stats()).toEqual({ rms: 0, peak: 0, crestFactor: 0, kurtosis: 0 });
  });

  it('power, whitening, squared envelope and magnitude loops match their definitions', () => {
    const half = 512;
    const spectrum = randomArray(new Float32Array(2 * half), 5);
    spectrum[2 * 40] = 0; // a zero bin inside the band stays zero instead of dividing by zero
    spectrum[2 * 40 + 1] = 0;

    const power = randomArray(new Float64Array(half + 1), 6);
    const expectedPower = Float64Array.from(power);
    expectedPower[0]! += spectrum[0]! ** 2;
    expectedPower[half]! += spectrum[1]! ** 2;
    for (let k = 1; k < half; k++) expectedPower[k]! += spectrum[2 * k]! ** 2 + spectrum[2 * k + 1]! ** 2;
    accumulatePower(spectrum, power, half);
    for (let k = 0; k <= half; k++) expect(relative(power[k]!, expectedPower[k]!)).toBeLessThan(1e-12);

    const band = randomArray(new Float32Array(256), 7); // stale values from a previous window
    const whitened = whitenBand(spectrum, 30, 100, band);
    expect(whitened).toBe(99);
    for (let j = 0; j < 100; j++) {
      const re = spectrum[2 * (30 + j)]!;
      const im = spectrum[2 * (30 + j) + 1]!;
      const magnitude = Math.sqrt(re * re + im * im);
      expect(band[2 * j]).toBeCloseTo(magnitude > 0 ? re / magnitude : 0, 6);
      expect(band[2 * j + 1]).toBeCloseTo(magnitude > 0 ? im / magnitude : 0, 6);
    }
    for (let i = 200; i < 256; i++) expect(band[i]).toBe(0);

    const squared = new Float32Array(128);
    relativeSquaredEnvelope(band, squared, 128, whitened);
    for (let i = 0; i < 128; i++) {
      const reference = (band[2 * i]! ** 2 + band[2 * i + 1]! ** 2 - whitened) / whitened;
      expect(squared[i]).toBeCloseTo(reference, 6);
    }

    const sum = randomArray(new Float64Array(50), 8);
    const expectedSum = Float64Array.from(sum);
    for (let k = 1; k <= 40; k++)
      expectedSum[k]! += Math.hypot(spectrum[2 * k]!, spectrum[2 * k + 1]!) * 0.25;
    accumulateMagnitude(spectrum, sum, 40, 0.25);
    for (let k = 0; k < 50; k++) expect(relative(sum[k]!, expectedSum[k]!)).toBeLessThan(1e-12);
  });

  it('Welch averages from the summed power match the per-bin formula', () => {
    const n = 1024;
    const window = hann(n);
    const power = randomArray(new Float64Array(n / 2 + 1), 9, 1);
    const meanSquare = new Float64Array(n / 2 + 1);
    const amplitude = new Float64Array(n / 2 + 1);
    powerToAverages(power, 3, n, sumOf(window), sumOfSquares(window), meanSquare, amplitude);
    for (let k = 0; k <= n / 2; k++) {
      const perWindow = power[k]! / 3;
      const oneSided = k === 0 || k === n / 2 ? 1 : 2;
      expect(relative(meanSquare[k]!, (oneSided * perWindow) / (n * sumOfSquares(window)))).toBeLessThan(
        1e-12,
      );
      expect(relative(amplitude[k]!, (oneSided * Math.sqrt(perWindow)) / sumOf(window))).toBeLessThan(1e-12);
    }
  });
});

describe('envelope transforms sized to the lines read', () => {
  const skf6205 = defectMultiples(catalogBearing('skf-6205').geometry);
  const options = { sampleRateHz: 25_600, rpm: 2980, unit: 'g' as const, bearing: skf6205 };

  it('uses half the points of the full envelope at N = 16384 and 4096, with the same envelope below envelopeMaxHz', () => {
    for (const [n, fullSize, smallSize] of [
      [16_384, 16_384, 8192],
      [4096, 4096, 2048],
    ] as const) {
      const plan = planDiagnosis(n, { ...options, windowSize: n });
      const full = new SpectraAccumulator(n, plan.sampleRateHz, plan.envelopeBand);
      const sized = new SpectraAccumulator(n, plan.sampleRateHz, plan.envelopeBand, plan.envelopeMaxHz);
      expect(full.envelopeTransformSize).toBe(fullSize);
      expect(sized.envelopeTransformSize).toBe(smallSize);
      const signal = randomArray(new Float64Array(n), 10);
      for (let i = 50; i < n; i += 263) signal[i]! += 4; // impacts: an envelope with lines
      full.addWindow(signal);
      sized.addWindow(signal);
      const a = full.averages().envelope;
      const b = sized.averages().envelope;
      expect(b.length).toBe(Math.ceil(plan.envelopeMaxHz! / full.binHz) + 1);
      const largest = Math.max(...a);
      // Both are float32 transforms: agreement to float32 rounding of the largest line.
      for (let k = 0; k < b.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-5 * largest);
    }
  });

  it('keeps every finding and feature of a diagnosis that reads the whole envelope', () => {
    const n = 16_384;
    const plan = planDiagnosis(n, { ...options, windowSize: n });
    const signal = randomArray(new Float64Array(n), 11);
    const bpfoHz = skf6205.bpfo * (2980 / 60) * 0.99;
    const next = random(12);
    for (let t = 0.001; t < n / 25_600; t += (1 + 0.02 * next()) / bpfoHz) {
      const first = Math.ceil(t * 25_600);
      for (let i = first; i < Math.min(n, first + 128); i++)
        signal[i]! += 2 * Math.exp(-(i - first) / 20) * Math.sin((2 * Math.PI * 6000 * (i - first)) / 25_600);
    }
    const sized = new WindowDiagnoser(plan).analyse(signal);
    const full = new SpectraAccumulator(n, plan.sampleRateHz, plan.envelopeBand);
    full.addWindow(signal);
    const reference = diagnoseSpectra(full.averages(), plan, timeDomainStats(signal), n);
    expect(sized.findings[0]?.fault).toBe('outer_race');
    expect(sized.findings).toEqual(reference.findings);
    expect(sized.features).toEqual(reference.features);
  });

  it('computes no envelope for a plan without a bearing', () => {
    const plan = planDiagnosis(16_384, { sampleRateHz: 25_600, rpm: 2980, unit: 'g', windowSize: 16_384 });
    expect(plan.envelopeMaxHz).toBe(0);
    const accumulator = new SpectraAccumulator(16_384, 25_600, plan.envelopeBand, plan.envelopeMaxHz);
    expect(accumulator.envelopeTransformSize).toBe(0);
    accumulator.addWindow(randomArray(new Float64Array(16_384), 13));
    expect(accumulator.averages().envelope.length).toBe(0);
  });
});
