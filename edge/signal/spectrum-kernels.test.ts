import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { diagnoseSpectra, planDiagnosis, WindowDiagnoser } from './diagnosis.js';
import { ComplexFft, HeapFloat64, heapAddress, RealFft, transformHeapKernels } from './fft.js';
import { SpectraAccumulator } from './spectra-accumulator.js';
import {
  accumulateMagnitude,
  accumulateMagnitudeInternal,
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

  it('reads an unreordered transform through its index map, bit for bit as the ordered one', () => {
    for (const size of [32, 1024, 8192]) {
      const fft = new RealFft(size);
      const signal = randomArray(new Float32Array(size), size);
      fft.input.set(signal);
      const ordered = Float32Array.from(fft.forward());
      fft.input.set(signal);
      const internal = fft.forwardUnordered();
      const map = fft.internalIndexOfOrdered;
      fft.input.set(signal);
      const again = fft.forwardUnordered();
      for (let i = 0; i < size; i++) expect(Object.is(again[map[i]!], ordered[i])).toBe(true);
      const last = size / 2 - 1;
      const expected = new Float64Array(last + 1);
      const sum = new Float64Array(last + 1);
      accumulateMagnitude(ordered, expected, last, 0.5);
      fft.input.set(signal);
      accumulateMagnitudeInternal(fft.forwardUnordered(), map, sum, last, 0.5);
      expect(sum).toEqual(expected);
      expect(internal).toBe(again);
    }
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

describe('signal spectrum kept to the bins read', () => {
  const skf6205 = defectMultiples(catalogBearing('skf-6205').geometry);

  /** A loose machine (1×…10× and half orders, zone C/D) with an outer-race defect, at trueRpm. */
  function looseMachine(n: number, sampleRateHz: number, trueRpm: number, seed: number): Float64Array {
    const signal = randomArray(new Float64Array(n), seed);
    const shaftHz = trueRpm / 60;
    for (let i = 0; i < n; i++) {
      const t = i / sampleRateHz;
      for (let order = 0.5; order <= 10; order += 0.5)
        signal[i]! +=
          (order === 1 ? 0.6 : 0.12 * order) * Math.sin(2 * Math.PI * order * shaftHz * t + order);
    }
    const bpfoHz = skf6205.bpfo * shaftHz;
    for (let t = 0.002; t < n / sampleRateHz; t += 1 / bpfoHz) {
      const first = Math.ceil(t * sampleRateHz);
      for (let i = first; i < Math.min(n, first + 96); i++)
        signal[i]! +=
          Math.exp(-(i - first) / 16) *
          Math.sin((2 * Math.PI * 0.3 * sampleRateHz * (i - first)) / sampleRateHz);
    }
    return signal;
  }

  it('squares, averages and roots only the bins up to the plan spectrumMaxHz, bin for bin as the full spectrum', () => {
    for (const n of [16_384, 4096]) {
      const plan = planDiagnosis(n, {
        sampleRateHz: 25_600,
        rpm: 2980,
        unit: 'g',
        bearing: skf6205,
        windowSize: n,
      });
      const full = new SpectraAccumulator(n, 25_600, plan.envelopeBand, plan.envelopeMaxHz);
      const sized = new SpectraAccumulator(
        n,
        25_600,
        plan.envelopeBand,
        plan.envelopeMaxHz,
        [],
        plan.spectrumMaxHz,
      );
      const signal = looseMachine(n, 25_600, 2980, 20);
      full.addWindow(signal);
      sized.addWindow(signal);
      const a = full.averages();
      const b = sized.averages();
      expect(b.amplitude.length).toBe(Math.ceil(plan.spectrumMaxHz! / full.binHz) + 1);
      // At 25.6 kHz and 2980 rpm the lines read lie below 1.1 kHz: an eighth of the spectrum or less.
      expect(b.amplitude.length).toBeLessThan(a.amplitude.length / 8);
      expect(b.amplitude).toEqual(a.amplitude.subarray(0, b.amplitude.length));
      expect(b.meanSquare).toEqual(a.meanSquare.subarray(0, b.meanSquare.length));
    }
  });

  it('keeps every finding, feature and snapshot of a diagnosis that reads the whole spectrum', () => {
    const cases = [
      // Speed refined up to the top of a ±4 % search, at the two common window sizes.
      { n: 16_384, sampleRateHz: 25_600, options: { rpm: 2980 }, trueRpm: 3090 },
      { n: 4096, sampleRateHz: 25_600, options: { rpm: 2980 }, trueRpm: 2870 },
      // Only a range: the speed is searched across it.
      { n: 16_384, sampleRateHz: 12_000, options: { rpmRange: { min: 1400, max: 1800 } }, trueRpm: 1795 },
      // A spindle: its 10× line and that line's noise floor reach well above the velocity band.
      { n: 16_384, sampleRateHz: 25_600, options: { rpm: 6000 }, trueRpm: 6220 },
      { n: 8192, sampleRateHz: 25_600, options: { rpmRange: { min: 5000, max: 6000 } }, trueRpm: 5990 },
      // Slow machine at a low rate: the velocity band's top is the bound, not the lines.
      { n: 8192, sampleRateHz: 6400, options: { rpm: 600 }, trueRpm: 610 },
    ];
    for (const [i, c] of cases.entries()) {
      for (const bearing of [skf6205, undefined]) {
        const plan = planDiagnosis(c.n, {
          sampleRateHz: c.sampleRateHz,
          unit: 'g',
          windowSize: c.n,
          ...c.options,
          ...(bearing ? { bearing } : {}),
        });
        expect(plan.spectrumMaxHz).toBeLessThan(c.sampleRateHz / 2);
        const signal = looseMachine(c.n, c.sampleRateHz, c.trueRpm, 30 + i);
        const sized = new WindowDiagnoser(plan);
        const full = new WindowDiagnoser({ ...plan, spectrumMaxHz: undefined });
        const a = full.analyse(signal);
        const b = sized.analyse(signal);
        expect(b).toEqual(a);
        expect(sized.snapshots()).toEqual(full.snapshots());
        // The cases judge running-speed faults (zone C/D) with a refined speed: the whole reach is read.
        expect(['C', 'D']).toContain(b.features.isoZone);
      }
    }
  });
});

describe("envelope kernels in the transforms' memory (WebAssembly SIMD)", () => {
  /** Float32 values over six decades, some exactly 0 (a bin with no energy), as in a spectrum. */
  function spectrumLike(array: Float32Array, seed: number): Float32Array {
    const next = random(seed);
    for (let i = 0; i < array.length; i++)
      array[i] = i % 37 === 5 ? 0 : next() * 10 ** (6 * (next() + 0.5) - 3);
    // One bin entirely zero: it stays zero and is not counted.
    array[10] = 0;
    array[11] = 0;
    return array;
  }
  const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

  it("runs on views of the transforms' memory and gives the JavaScript kernels' results bit for bit", () => {
    expect(transformHeapKernels).not.toBeNull();
    const source = new ComplexFft(2048);
    const target = new ComplexFft(2048);
    expect(heapAddress(source.input)).toBeGreaterThanOrEqual(0);
    expect(heapAddress(new Float32Array(8))).toBe(-1);
    spectrumLike(source.input, 40);
    const plainSource = Float32Array.from(source.input);
    // An odd number of bins from an odd first bin: the last bin is left to the JavaScript loop.
    for (const [first, bins] of [
      [3, 1001],
      [1, 1024],
      [0, 2000],
    ] as const) {
      const plainOut = new Float32Array(target.input.length).fill(7);
      target.input.fill(7);
      const expected = whitenBand(plainSource, first, bins, plainOut);
      expect(whitenBand(source.input, first, bins, target.input)).toBe(expected);
      expect(bitsOf(target.input)).toEqual(bitsOf(plainOut));
    }
    for (const size of [32, 1024, 2048]) {
      const plainOut = new Float32Array(size);
      relativeSquaredEnvelope(plainSource, plainOut, size, 123.25);
      relativeSquaredEnvelope(source.input, target.input, size, 123.25);
      expect(bitsOf(target.input.subarray(0, size))).toEqual(bitsOf(plainOut));
    }
  });
});

describe("windowing and moments in the transforms' memory (WebAssembly SIMD)", () => {
  it('windows bit for bit as the JavaScript pass and sums the same moments, for float32 and float64 samples', () => {
    const n = 4096;
    const hannWindow = hann(n);
    const heapWindow = new HeapFloat64(n);
    heapWindow.values.set(hannWindow);
    const fft = new RealFft(n);
    for (const [seed, offset] of [
      [50, 0],
      [51, 1000],
      [52, -3e4],
    ] as const) {
      for (const samples of [
        randomArray(new Float64Array(n + 100), seed, offset),
        randomArray(new Float32Array(n + 100), seed, offset),
      ]) {
        const start = 37;
        const plainOut = new Float32Array(n);
        const expected = new MomentSums();
        windowWithMoments(samples, start, hannWindow, plainOut, n, expected);
        const got = new MomentSums();
        windowWithMoments(samples, start, heapWindow.values, fft.input, n, got);
        expect(heapAddress(fft.input)).toBeGreaterThanOrEqual(0);
        expect(Array.from(fft.input)).toEqual(Array.from(plainOut));
        expect([got.count, got.shift, got.min, got.max]).toEqual([
          expected.count,
          expected.shift,
          expected.min,
          expected.max,
        ]);
        // Two chains of additions instead of one: equal to rounding.
        for (const key of ['s1', 's2', 's3', 's4'] as const)
          expect(relative(got[key], expected[key])).toBeLessThan(1e-12);
        const a = got.stats();
        const b = expected.stats();
        for (const key of ['rms', 'peak', 'crestFactor', 'kurtosis'] as const)
          expect(relative(a[key], b[key])).toBeLessThan(1e-9);
      }
    }
  });
});
