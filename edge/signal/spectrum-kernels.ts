import { HeapFloat64, heapAddress, transformHeapKernels } from './fft.js';
import type { TimeDomainStats } from './time-domain.js';

/*
 * The per-sample and per-bin loops of a window analysis, written for V8: monomorphic typed-array
 * loops with no allocation and no closures, each touching its data once. They run on every window
 * at the edge, so they were measured against the transforms themselves (simulators/bench): a plain
 * JavaScript pass over 16,384 samples costs about half a 16,384-point PFFFT transform, so every pass
 * saved counts. spectrum-kernels.test.ts checks each against a straightforward reference.
 */

/** Sums of powers of (x − shift), and the extremes, of a run of samples: enough for all statistics. */
export class MomentSums {
  count = 0;
  shift = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  s4 = 0;
  min = 0;
  max = 0;

  set(
    count: number,
    shift: number,
    s1: number,
    s2: number,
    s3: number,
    s4: number,
    min: number,
    max: number,
  ): void {
    this.count = count;
    this.shift = shift;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    this.s4 = s4;
    this.min = min;
    this.max = max;
  }

  /**
   * Mean, RMS, peak, crest factor and kurtosis around the mean. The sums are taken around a
   * sample of the signal (the shift) rather than zero, so that a large DC offset does not cancel
   * the vibration's digits out of the central moments.
   */
  stats(): TimeDomainStats {
    const n = this.count;
    if (n === 0) return { rms: 0, peak: 0, crestFactor: 0, kurtosis: 0 };
    const m1 = this.s1 / n;
    const r2 = this.s2 / n;
    const r3 = this.s3 / n;
    const r4 = this.s4 / n;
    const m1s = m1 * m1;
    const m2 = Math.max(0, r2 - m1s);
    const m4 = Math.max(0, r4 - 4 * m1 * r3 + 6 * m1s * r2 - 3 * m1s * m1s);
    const mean = this.shift + m1;
    const peak = Math.max(this.max - mean, mean - this.min, 0);
    const rms = Math.sqrt(m2);
    return { rms, peak, crestFactor: rms > 0 ? peak / rms : 0, kurtosis: m2 > 0 ? m4 / (m2 * m2) : 0 };
  }
}

type Samples = Float32Array | Float64Array;

/**
 * out[i] = samples[start + i] · window[i] for i < n, and the moment sums of those samples. With the
 * window and out in the transforms' memory (the diagnosis's case) the samples are staged there and
 * the pass runs as WebAssembly SIMD, its sums in two chains (even and odd samples) added at the end.
 */
export function windowWithMoments(
  samples: Samples,
  start: number,
  window: Float64Array,
  out: Float32Array,
  n: number,
  sums: MomentSums,
): void {
  const windowAddress = heapAddress(window);
  const outAddress = heapAddress(out);
  if (transformHeapKernels && windowAddress >= 0 && outAddress >= 0 && n % 2 === 0) {
    windowWithMomentsInHeap(samples, start, windowAddress, outAddress, n, sums);
    return;
  }
  const shift = samples[start]!;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let min = shift;
  let max = shift;
  for (let i = 0; i < n; i++) {
    const x = samples[start + i]!;
    out[i] = x * window[i]!;
    const d = x - shift;
    const d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  sums.set(n, shift, s1, s2, s3, s4, min, max);
}

/** Per window size: samples staged in the transforms' memory, and the kernel's lane sums. */
const heapStaging = new Map<number, { samples: HeapFloat64; sums: HeapFloat64 }>();

function windowWithMomentsInHeap(
  samples: Samples,
  start: number,
  windowAddress: number,
  outAddress: number,
  n: number,
  sums: MomentSums,
): void {
  let staging = heapStaging.get(n);
  if (!staging) {
    // Allocating may grow the memory: the addresses above stay valid, views are taken after.
    staging = { samples: new HeapFloat64(n), sums: new HeapFloat64(12) };
    heapStaging.set(n, staging);
  }
  const staged = staging.samples.values;
  staged.set(samples.subarray(start, start + n));
  const shift = samples[start]!;
  const sumsAddress = heapAddress(staging.sums.values);
  transformHeapKernels!.windowMoments(
    heapAddress(staged),
    windowAddress,
    outAddress,
    n / 2,
    shift,
    sumsAddress,
  );
  // Six f64x2: s1, s2, s3, s4, min, max, each as [even samples, odd samples].
  const lane = staging.sums.values;
  sums.set(
    n,
    shift,
    lane[0]! + lane[1]!,
    lane[2]! + lane[3]!,
    lane[4]! + lane[5]!,
    lane[6]! + lane[7]!,
    lane[9]! < lane[8]! ? lane[9]! : lane[8]!,
    lane[11]! > lane[10]! ? lane[11]! : lane[10]!,
  );
}

/** The moment sums of a whole waveform, for waveforms longer than one window. */
export function momentsOf(samples: Samples, sums: MomentSums): void {
  const n = samples.length;
  const shift = samples[0]!;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let min = shift;
  let max = shift;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    const d = x - shift;
    const d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  sums.set(n, shift, s1, s2, s3, s4, min, max);
}

/** out[i] = samples[start + i] · window[i] for i < n. */
export function applyWindow(
  samples: Samples,
  start: number,
  window: Float64Array,
  out: Float32Array,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[i] = samples[start + i]! * window[i]!;
}

/**
 * power[k] += |X_k|² for k = 0..power.length − 1 of a real transform of 2·half points in PFFFT's
 * ordered layout [X0.re, X(N/2).re, X1.re, X1.im, …]. A power array shorter than half + 1 keeps
 * only the bins the diagnosis reads (the Nyquist bin only when it reaches it).
 */
export function accumulatePower(spectrum: Float32Array, power: Float64Array, half: number): void {
  const end = Math.min(power.length, half);
  power[0]! += spectrum[0]! * spectrum[0]!;
  if (power.length > half) power[half]! += spectrum[1]! * spectrum[1]!;
  for (let k = 1; k < end; k++) {
    const re = spectrum[2 * k]!;
    const im = spectrum[2 * k + 1]!;
    power[k]! += re * re + im * im;
  }
}

/**
 * Cepstral pre-whitening of bins first..first+bins−1 shifted to baseband: each bin at unit
 * magnitude in out (interleaved complex), zero where the bin is zero, and zeros from 2·bins to
 * out's end. Returns how many bins were whitened.
 */
export function whitenBand(spectrum: Float32Array, first: number, bins: number, out: Float32Array): number {
  let whitened = 0;
  let done = 0;
  // Views on the transforms' memory (the diagnosis's case): pairs of bins in WebAssembly SIMD.
  const source = heapAddress(spectrum);
  const destination = heapAddress(out);
  if (transformHeapKernels && source >= 0 && destination >= 0) {
    const pairs = bins >> 1;
    whitened = transformHeapKernels.whitenPairs(source + 8 * first, pairs, destination);
    done = 2 * pairs;
  }
  let from = 2 * (first + done);
  for (let to = 2 * done; to < 2 * bins; to += 2, from += 2) {
    const re = spectrum[from]!;
    const im = spectrum[from + 1]!;
    const squared = re * re + im * im;
    if (squared > 0) {
      const inverse = 1 / Math.sqrt(squared);
      out[to] = re * inverse;
      out[to + 1] = im * inverse;
      whitened++;
    } else {
      out[to] = 0;
      out[to + 1] = 0;
    }
  }
  out.fill(0, 2 * bins);
  return whitened;
}

/** out[i] = (|analytic_i|² − mean) / mean for i < size: the squared envelope relative to its mean. */
export function relativeSquaredEnvelope(
  analytic: Float32Array,
  out: Float32Array,
  size: number,
  mean: number,
): void {
  const inverse = 1 / mean;
  let done = 0;
  const source = heapAddress(analytic);
  const destination = heapAddress(out);
  if (transformHeapKernels && source >= 0 && destination >= 0) {
    const pairs = size >> 1;
    transformHeapKernels.relativeSquaredPairs(source, pairs, destination, inverse);
    done = 2 * pairs;
  }
  for (let i = done; i < size; i++) {
    const re = analytic[2 * i]!;
    const im = analytic[2 * i + 1]!;
    out[i] = (re * re + im * im) * inverse - 1;
  }
}

/** sum[k] += |X_k| · scale for k = 1..last of a real transform in PFFFT's ordered layout. */
export function accumulateMagnitude(
  spectrum: Float32Array,
  sum: Float64Array,
  last: number,
  scale: number,
): void {
  for (let k = 1; k <= last; k++) {
    const re = spectrum[2 * k]!;
    const im = spectrum[2 * k + 1]!;
    sum[k]! += Math.sqrt(re * re + im * im) * scale;
  }
}

/**
 * accumulateMagnitude() on a transform left in PFFFT's internal layout: the ordered index i is read
 * at internal[i]. Saves the transform's reordering pass when only the lowest bins are read.
 */
export function accumulateMagnitudeInternal(
  spectrum: Float32Array,
  internal: Int32Array,
  sum: Float64Array,
  last: number,
  scale: number,
): void {
  for (let k = 1; k <= last; k++) {
    const re = spectrum[internal[2 * k]!]!;
    const im = spectrum[internal[2 * k + 1]!]!;
    sum[k]! += Math.sqrt(re * re + im * im) * scale;
  }
}

/**
 * The Welch averages from the summed power: the one-sided mean square per bin (Hann
 * energy-corrected) and the one-sided amplitude (amplitude-corrected), for the bins power holds.
 */
export function powerToAverages(
  power: Float64Array,
  windows: number,
  windowSize: number,
  windowSum: number,
  windowEnergy: number,
  meanSquare: Float64Array,
  amplitude: Float64Array,
): void {
  const half = windowSize / 2;
  const end = Math.min(power.length, half);
  const perWindow = 1 / windows;
  const squareScale = 2 / (windowSize * windowEnergy);
  const amplitudeScale = 2 / windowSum;
  for (let k = 1; k < end; k++) {
    const p = power[k]! * perWindow;
    meanSquare[k] = p * squareScale;
    amplitude[k] = Math.sqrt(p) * amplitudeScale;
  }
  // DC and Nyquist have no mirror image: half the one-sided value.
  for (const k of power.length > half ? [0, half] : [0]) {
    const p = power[k]! * perWindow;
    meanSquare[k] = (p * squareScale) / 2;
    amplitude[k] = (Math.sqrt(p) * amplitudeScale) / 2;
  }
}
