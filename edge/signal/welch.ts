import { largestPowerOfTwoAtMost, powerOfRealSignal } from './fft.js';
import { hann, sumOf, sumOfSquares } from './window.js';

export interface WelchSpectrum {
  /** Frequency spacing between bins, Hz. */
  binHz: number;
  /** One-sided mean-square per bin (unit²): summing bins over a band gives the band's mean square. */
  meanSquare: Float64Array;
  /** One-sided peak amplitude per bin (unit), Hann-corrected so a sine of amplitude A reads A. */
  amplitude: Float64Array;
  segmentLength: number;
  segments: number;
}

export interface WelchOptions {
  /** Longest segment used; shorter records use the largest power of two that fits. */
  maxSegmentLength: number;
  /** Fraction of a segment shared with the next, 0 ≤ overlap < 1. */
  overlap: number;
}

export const DEFAULT_WELCH: WelchOptions = { maxSegmentLength: 8192, overlap: 0.5 };

/**
 * Welch-averaged spectrum of a signal with its mean removed, Hann-windowed. The mean-square scaling
 * divides by Σw² (energy correction) so band sums are RMS², and the amplitude scaling divides by Σw
 * (amplitude correction) so peaks read as sine amplitudes.
 */
export function welchSpectrum(
  signal: ArrayLike<number>,
  sampleRateHz: number,
  options: WelchOptions = DEFAULT_WELCH,
): WelchSpectrum {
  const segmentLength = largestPowerOfTwoAtMost(Math.min(signal.length, options.maxSegmentLength));
  if (segmentLength < 64) throw new RangeError(`record too short for a spectrum: ${signal.length} samples`);
  const step = Math.max(1, Math.floor(segmentLength * (1 - options.overlap)));
  const window = hann(segmentLength);
  const windowSum = sumOf(window);
  const windowEnergy = sumOfSquares(window);
  const mean = sumOf(signal) / signal.length;

  const half = segmentLength / 2;
  const accumulated = new Float64Array(half + 1);
  const segment = new Float64Array(segmentLength);
  let segments = 0;
  for (let start = 0; start + segmentLength <= signal.length; start += step) {
    for (let i = 0; i < segmentLength; i++) segment[i] = ((signal[start + i] ?? 0) - mean) * (window[i] ?? 0);
    const power = powerOfRealSignal(segment);
    for (let k = 0; k <= half; k++) accumulated[k] = (accumulated[k] ?? 0) + (power[k] ?? 0);
    segments++;
  }

  const meanSquare = new Float64Array(half + 1);
  const amplitude = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    const power = (accumulated[k] ?? 0) / segments;
    const oneSided = k === 0 || k === half ? 1 : 2;
    meanSquare[k] = (oneSided * power) / (segmentLength * windowEnergy);
    amplitude[k] = (oneSided * Math.sqrt(power)) / windowSum;
  }
  return { binHz: sampleRateHz / segmentLength, meanSquare, amplitude, segmentLength, segments };
}

/** Root of the summed mean square of the bins whose centre lies in [lowHz, highHz]. */
export function bandRms(
  spectrum: WelchSpectrum,
  lowHz: number,
  highHz: number,
  weight?: (hz: number) => number,
): number {
  let sum = 0;
  const first = Math.max(1, Math.ceil(lowHz / spectrum.binHz));
  const last = Math.min(spectrum.meanSquare.length - 1, Math.floor(highHz / spectrum.binHz));
  for (let k = first; k <= last; k++) {
    sum += (spectrum.meanSquare[k] ?? 0) * (weight ? weight(k * spectrum.binHz) : 1);
  }
  return Math.sqrt(sum);
}
