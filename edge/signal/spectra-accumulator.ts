import { ComplexFft, RealFft, smallestPowerOfTwoAtLeast } from './fft.js';
import {
  accumulateMagnitude,
  accumulatePower,
  applyWindow,
  type MomentSums,
  powerToAverages,
  relativeSquaredEnvelope,
  whitenBand,
  windowWithMoments,
} from './spectrum-kernels.js';
import { hann, sumOf, sumOfSquares } from './window.js';

export interface FrequencyBand {
  lowHz: number;
  highHz: number;
}

export interface AveragedSpectra {
  sampleRateHz: number;
  windowSize: number;
  windows: number;
  /** Spacing of both spectra's bins: sampleRateHz / windowSize. */
  binHz: number;
  /** One-sided mean square per bin of the signal (unit²), Hann energy-corrected. */
  meanSquare: Float64Array;
  /** One-sided amplitude per bin (unit), Hann amplitude-corrected: a sine of amplitude A reads A. */
  amplitude: Float64Array;
  /**
   * Squared-envelope spectrum of the pre-whitened band, relative to the envelope's mean, at the
   * same bin spacing, from 0 Hz up to the accumulator's envelopeMaxHz (empty when that is 0).
   */
  envelope: Float64Array;
  envelopeBand: FrequencyBand;
}

/**
 * Welch averaging of two spectra per window: the signal's spectrum (for velocity and running-speed
 * lines) and the squared-envelope spectrum (for bearing defects).
 *
 * The envelope follows Randall & Antoni (2011) with cepstral pre-whitening (Borghesani et al. 2013,
 * the method Smith & Randall 2015 benchmark on the CWRU data): every bin of the carrier band is set
 * to unit magnitude, which removes discrete shaft and gear tones and the shape of the transfer path,
 * so the impulses' repetition dominates the envelope however the band's energy is distributed. The
 * band is shifted to baseband before the inverse transform, so a narrow band costs a small transform.
 *
 * The envelope spectrum is only kept up to envelopeMaxHz, which lets the envelope transforms be
 * smaller than the band's: bin k of the squared envelope's spectrum correlates band bins k apart, so
 * an inverse transform of M ≥ bandBins + k points reproduces it exactly (a wider one only adds
 * zeros), whereas bins nobody reads would need M = 2·bandBins to stay free of aliasing.
 *
 * All buffers are allocated here once; addWindow() allocates nothing.
 */
export class SpectraAccumulator {
  readonly binHz: number;
  /** Points of the envelope's transforms (0 without an envelope): what one window's envelope costs. */
  readonly envelopeTransformSize: number;
  private readonly window: Float64Array;
  private readonly windowSum: number;
  private readonly windowEnergy: number;
  private readonly signalFft: RealFft;
  private readonly bandFft: ComplexFft | null;
  private readonly envelopeFft: RealFft | null;
  /** Highest envelope bin kept; 0 when no envelope is wanted. */
  private readonly lastEnvelopeBin: number;
  private readonly envelopeScale: number;
  private readonly firstBandBin: number;
  private readonly bandBins: number;
  private readonly power: Float64Array;
  private readonly envelopeSum: Float64Array;
  private readonly result: AveragedSpectra;
  private windows = 0;

  /**
   * envelopeMaxHz: the highest envelope frequency the caller reads (0: no envelope at all, as for
   * a machine without a bearing to assess); without it the whole alias-free envelope is kept.
   */
  constructor(
    readonly windowSize: number,
    readonly sampleRateHz: number,
    readonly envelopeBand: FrequencyBand,
    envelopeMaxHz?: number,
  ) {
    this.binHz = sampleRateHz / windowSize;
    this.window = hann(windowSize);
    this.windowSum = sumOf(this.window);
    this.windowEnergy = sumOfSquares(this.window);
    this.signalFft = new RealFft(windowSize);
    const half = windowSize / 2;
    this.firstBandBin = Math.max(1, Math.ceil(envelopeBand.lowHz / this.binHz));
    const lastBandBin = Math.min(half - 1, Math.floor(envelopeBand.highHz / this.binHz));
    this.bandBins = lastBandBin - this.firstBandBin + 1;
    if (this.bandBins < 16) {
      throw new RangeError(
        `envelope band ${envelopeBand.lowHz}–${envelopeBand.highHz} Hz holds only ${Math.max(0, this.bandBins)} bins at ${this.binHz.toFixed(2)} Hz per bin`,
      );
    }
    // The squared envelope has twice the band's bandwidth: that many points keep all of it free of
    // aliasing; bandBins + its highest kept bin keep that bin and all below it exact.
    const aliasFreeSize = Math.min(windowSize, smallestPowerOfTwoAtLeast(Math.max(32, 2 * this.bandBins)));
    const keptBins =
      envelopeMaxHz === undefined || !Number.isFinite(envelopeMaxHz)
        ? aliasFreeSize / 2
        : Math.max(0, Math.ceil(envelopeMaxHz / this.binHz));
    const envelopeSize = Math.min(
      aliasFreeSize,
      smallestPowerOfTwoAtLeast(Math.max(32, this.bandBins + keptBins)),
    );
    const envelopeBins = keptBins === 0 ? 0 : Math.min(keptBins, envelopeSize / 2) + 1;
    // The top bin of a transform is its Nyquist bin, which carries no line: it stays 0, as before.
    this.lastEnvelopeBin = Math.min(envelopeBins - 1, envelopeSize / 2 - 1);
    this.bandFft = envelopeBins > 0 ? new ComplexFft(envelopeSize) : null;
    this.envelopeFft = envelopeBins > 0 ? new RealFft(envelopeSize) : null;
    this.envelopeScale = 2 / envelopeSize;
    this.envelopeTransformSize = envelopeBins > 0 ? envelopeSize : 0;
    this.power = new Float64Array(half + 1);
    this.envelopeSum = new Float64Array(envelopeBins);
    this.result = {
      sampleRateHz,
      windowSize,
      windows: 0,
      binHz: this.binHz,
      meanSquare: new Float64Array(half + 1),
      amplitude: new Float64Array(half + 1),
      envelope: new Float64Array(envelopeBins),
      envelopeBand: {
        lowHz: this.firstBandBin * this.binHz,
        highHz: (this.firstBandBin + this.bandBins - 1) * this.binHz,
      },
    };
  }

  get windowCount(): number {
    return this.windows;
  }

  reset(): void {
    this.power.fill(0);
    this.envelopeSum.fill(0);
    this.windows = 0;
  }

  /**
   * Adds the window samples[start, start + windowSize) to both averages. The mean is not removed:
   * through the Hann window it reaches bins 0 and 1 only, which no feature reads.
   */
  addWindow(samples: Float32Array | Float64Array, start = 0): void {
    applyWindow(samples, start, this.window, this.signalFft.input, this.windowSize);
    this.addWindowedInput();
  }

  /**
   * Adds a waveform of exactly one window and measures its moments (sums) in the same pass over
   * the samples: the streaming case, where reading the samples twice would cost a third of a
   * transform.
   */
  addMeasuredWindow(samples: Float32Array | Float64Array, sums: MomentSums): void {
    windowWithMoments(samples, 0, this.window, this.signalFft.input, this.windowSize, sums);
    this.addWindowedInput();
  }

  private addWindowedInput(): void {
    const spectrum = this.signalFft.forward();
    accumulatePower(spectrum, this.power, this.windowSize / 2);
    this.accumulateEnvelope(spectrum);
    this.windows++;
  }

  private accumulateEnvelope(spectrum: Float32Array): void {
    if (!this.bandFft || !this.envelopeFft) return;
    const whitenedBins = whitenBand(spectrum, this.firstBandBin, this.bandBins, this.bandFft.input);
    if (whitenedBins === 0) return;
    const analytic = this.bandFft.inverse();
    // By Parseval the unscaled inverse of unit-magnitude bins has mean square = their count: the
    // squared envelope is made relative to its mean in the same pass. No second window here:
    // whitening has spread each window's energy evenly over it.
    relativeSquaredEnvelope(analytic, this.envelopeFft.input, this.envelopeFft.size, whitenedBins);
    const envelope = this.envelopeFft.forward();
    accumulateMagnitude(envelope, this.envelopeSum, this.lastEnvelopeBin, this.envelopeScale);
  }

  /**
   * The averages so far. The arrays belong to this accumulator and are overwritten by the next
   * call: copy what must outlive it.
   */
  averages(): AveragedSpectra {
    const windows = Math.max(1, this.windows);
    const { meanSquare, amplitude, envelope } = this.result;
    powerToAverages(
      this.power,
      windows,
      this.windowSize,
      this.windowSum,
      this.windowEnergy,
      meanSquare,
      amplitude,
    );
    for (let k = 0; k < envelope.length; k++) envelope[k] = this.envelopeSum[k]! / windows;
    this.result.windows = this.windows;
    return this.result;
  }
}
