import {
  type ComplexFft,
  HeapFloat64,
  pooledComplexFft,
  pooledRealFft,
  type RealFft,
  smallestPowerOfTwoAtLeast,
} from './fft.js';
import {
  accumulateMagnitudeInternal,
  accumulatePower,
  applyWindow,
  type MomentSums,
  powerToAverages,
  relativeSquaredEnvelope,
  whitenBand,
  windowWithMoments,
} from './spectrum-kernels.js';
import { hann, sumOf, sumOfSquares } from './window.js';
import { type NativeEngine, type NativeKernels, nativeKernels } from './native-kernels.js';

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
  /**
   * One-sided mean square per bin of the signal (unit²), Hann energy-corrected, from 0 Hz up to
   * the accumulator's spectrumMaxHz (all windowSize / 2 + 1 bins without it).
   */
  meanSquare: Float64Array;
  /**
   * One-sided amplitude per bin (unit), Hann amplitude-corrected: a sine of amplitude A reads A.
   * Same bins as meanSquare.
   */
  amplitude: Float64Array;
  /**
   * Squared-envelope spectrum of the pre-whitened band, relative to the envelope's mean, at the
   * same bin spacing, from 0 Hz up to the accumulator's envelopeMaxHz (empty when that is 0).
   */
  envelope: Float64Array;
  envelopeBand: FrequencyBand;
}

/**
 * One Hann window per size in PFFFT's memory, shared by every accumulator of that size: the
 * WebAssembly heap never shrinks, so a window per accumulator would grow it with every re-plan
 * (an edge agent re-plans when a drive changes speed) until it runs out.
 */
const HANN_WINDOWS = new Map<number, HeapFloat64>();
function pooledHannWindow(size: number, values: Float64Array): HeapFloat64 {
  let window = HANN_WINDOWS.get(size);
  if (!window) {
    window = new HeapFloat64(size);
    window.values.set(values);
    HANN_WINDOWS.set(size, window);
  }
  return window;
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
 * Besides the envelope band given, candidate carrier bands may be given: while candidates are being
 * evaluated (evaluateCandidates(true)) every window's envelope is accumulated in each of them, so
 * the diagnosis can choose the band by the evidence in its envelope spectrum (useBand()). The signal
 * spectrum is computed once per window whatever the number of bands.
 *
 * Likewise the signal spectrum is only kept up to spectrumMaxHz: the speed, velocity and
 * running-speed lines read its lowest few hundred bins, and squaring, averaging and taking the root
 * of the thousands above them cost as much as a quarter of the forward transform.
 *
 * All buffers are allocated here once; addWindow() allocates nothing.
 */
export class SpectraAccumulator {
  readonly binHz: number;
  private readonly windowSum: number;
  private readonly windowEnergy: number;
  private readonly power: Float64Array;
  private readonly bands: EnvelopeBand[];
  private readonly perWindow: WindowSpectra;
  private readonly result: AveragedSpectra;
  private active = 0;
  private evaluating = false;
  private windows = 0;

  constructor(
    readonly windowSize: number,
    readonly sampleRateHz: number,
    readonly envelopeBand: FrequencyBand,
    /**
     * The highest envelope frequency the caller reads (0: no envelope at all, as for a machine
     * without a bearing to assess); without it the whole alias-free envelope is kept.
     */
    envelopeMaxHz?: number,
    /** Further carrier bands to evaluate; the envelope band given is always candidate 0. */
    candidateBands: readonly FrequencyBand[] = [],
    /** The highest signal-spectrum frequency the caller reads; without it the whole spectrum is kept. */
    spectrumMaxHz?: number,
    /** The native kernels when built (null: the WebAssembly transforms, as without them). */
    kernels: NativeKernels | null = nativeKernels,
  ) {
    this.binHz = sampleRateHz / windowSize;
    const window = hann(windowSize);
    this.windowSum = sumOf(window);
    this.windowEnergy = sumOfSquares(window);
    const half = windowSize / 2;
    this.bands = [envelopeBand, ...candidateBands].map(
      (band) => new EnvelopeBand(band, windowSize, this.binHz, envelopeMaxHz),
    );
    const spectrumBins =
      spectrumMaxHz === undefined || !Number.isFinite(spectrumMaxHz)
        ? half + 1
        : Math.min(half + 1, Math.max(2, Math.ceil(spectrumMaxHz / this.binHz) + 1));
    this.power = new Float64Array(spectrumBins);
    this.perWindow = kernels
      ? new NativeWindowSpectra(kernels, window, this.power, this.bands)
      : new WasmWindowSpectra(window, this.power, this.bands);
    this.result = {
      sampleRateHz,
      windowSize,
      windows: 0,
      binHz: this.binHz,
      meanSquare: new Float64Array(spectrumBins),
      amplitude: new Float64Array(spectrumBins),
      envelope: this.bands[0]!.average,
      envelopeBand: this.bands[0]!.band,
    };
  }

  get windowCount(): number {
    return this.windows;
  }

  /** Points of the active band's envelope transforms (0 without an envelope): one window's cost. */
  get envelopeTransformSize(): number {
    return this.bands[this.active]!.transformSize;
  }

  /** The carrier bands, as resolved to bins: index 0 is the envelope band given to the constructor. */
  get candidateBands(): readonly FrequencyBand[] {
    return this.bands.map((b) => b.band);
  }

  /** The band whose envelope averages() returns and the next windows accumulate. */
  get activeBand(): number {
    return this.active;
  }

  reset(): void {
    this.power.fill(0);
    for (const band of this.bands) band.reset();
    this.windows = 0;
  }

  /** The bands the next window goes to: all while evaluating, otherwise the active one. */
  private bandsFor(): number {
    const band = this.evaluating ? ALL_BANDS : this.active;
    if (band === ALL_BANDS) for (const b of this.bands) b.prepare();
    else this.bands[band]!.prepare();
    return band;
  }

  /** While on, windows added accumulate every candidate band's envelope (more work per window). */
  evaluateCandidates(on: boolean): void {
    this.evaluating = on && this.bands.length > 1;
  }

  /**
   * Makes candidate `index` the band of averages() and of the windows to come. Its average is
   * complete only when it was accumulated from the start (being evaluated, or already active).
   */
  useBand(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.bands.length)
      throw new RangeError(`no candidate band ${index}: there are ${this.bands.length}`);
    this.active = index;
  }

  /** Each candidate band's averaged envelope spectrum (the arrays are overwritten by the next call). */
  candidateEnvelopes(): { band: FrequencyBand; envelope: Float64Array }[] {
    const windows = Math.max(1, this.windows);
    return this.bands.map((b) => ({ band: b.band, envelope: b.averaged(windows) }));
  }

  /**
   * Adds the window samples[start, start + windowSize) to both averages. The mean is not removed:
   * through the Hann window it reaches bins 0 and 1 only, which no feature reads.
   */
  addWindow(samples: Float32Array | Float64Array, start = 0): void {
    this.perWindow.add(samples, start, this.bandsFor(), null);
    this.windows++;
  }

  /**
   * Adds a waveform of exactly one window and measures its moments (sums) in the same pass over
   * the samples: the streaming case, where reading the samples twice would cost a third of a
   * transform.
   */
  addMeasuredWindow(samples: Float32Array | Float64Array, sums: MomentSums): void {
    this.perWindow.add(samples, 0, this.bandsFor(), sums);
    this.windows++;
  }

  /**
   * The averages so far. The arrays belong to this accumulator and are overwritten by the next
   * call: copy what must outlive it.
   */
  averages(): AveragedSpectra {
    const windows = Math.max(1, this.windows);
    const { meanSquare, amplitude } = this.result;
    powerToAverages(
      this.power,
      windows,
      this.windowSize,
      this.windowSum,
      this.windowEnergy,
      meanSquare,
      amplitude,
    );
    const active = this.bands[this.active]!;
    this.result.envelope = active.averaged(windows);
    this.result.envelopeBand = active.band;
    this.result.windows = this.windows;
    return this.result;
  }
}

/** The band argument that adds a window to every band's envelope. */
const ALL_BANDS = -1;

/**
 * One window's contribution to the power sum and to one band's (or every band's) envelope sum,
 * and with sums its moment sums: the per-window work, natively or in WebAssembly.
 */
interface WindowSpectra {
  add(samples: Float32Array | Float64Array, start: number, band: number, sums: MomentSums | null): void;
}

/** The pre-whitened squared-envelope spectrum of one carrier band, summed over windows. */
class EnvelopeBand {
  readonly band: FrequencyBand;
  readonly average: Float64Array;
  /** Points of this band's envelope transforms; 0 when no envelope is wanted. */
  readonly transformSize: number;
  /** Highest envelope bin kept. */
  readonly lastEnvelopeBin: number;
  readonly envelopeScale: number;
  readonly firstBandBin: number;
  readonly bandBins: number;
  readonly envelopeSum: Float64Array;

  constructor(band: FrequencyBand, windowSize: number, binHz: number, envelopeMaxHz: number | undefined) {
    const half = windowSize / 2;
    this.firstBandBin = Math.max(1, Math.ceil(band.lowHz / binHz));
    const lastBandBin = Math.min(half - 1, Math.floor(band.highHz / binHz));
    this.bandBins = lastBandBin - this.firstBandBin + 1;
    if (this.bandBins < 16) {
      throw new RangeError(
        `envelope band ${band.lowHz}–${band.highHz} Hz holds only ${Math.max(0, this.bandBins)} bins at ${binHz.toFixed(2)} Hz per bin`,
      );
    }
    // The squared envelope has twice the band's bandwidth: that many points keep all of it free of
    // aliasing; bandBins + its highest kept bin keep that bin and all below it exact.
    const aliasFreeSize = Math.min(windowSize, smallestPowerOfTwoAtLeast(Math.max(32, 2 * this.bandBins)));
    const keptBins =
      envelopeMaxHz === undefined || !Number.isFinite(envelopeMaxHz)
        ? aliasFreeSize / 2
        : Math.max(0, Math.ceil(envelopeMaxHz / binHz));
    const envelopeSize = Math.min(
      aliasFreeSize,
      smallestPowerOfTwoAtLeast(Math.max(32, this.bandBins + keptBins)),
    );
    const envelopeBins = keptBins === 0 ? 0 : Math.min(keptBins, envelopeSize / 2) + 1;
    // The top bin of a transform is its Nyquist bin, which carries no line: it stays 0, as before.
    this.lastEnvelopeBin = Math.min(envelopeBins - 1, envelopeSize / 2 - 1);
    this.envelopeScale = 2 / envelopeSize;
    this.transformSize = envelopeBins > 0 ? envelopeSize : 0;
    this.envelopeSum = new Float64Array(envelopeBins);
    this.average = new Float64Array(envelopeBins);
    this.band = { lowHz: this.firstBandBin * binHz, highHz: (this.firstBandBin + this.bandBins - 1) * binHz };
  }

  /**
   * Set by reset(), cleared when the band gets its next window: the sum is zeroed then, so a band
   * that gets no window is not zeroed at all (most waveforms demodulate one band of several, and
   * zeroing them all cost more than their averages).
   */
  private stale = false;

  reset(): void {
    this.stale = true;
  }

  /** Before a window is added to this band. */
  prepare(): void {
    if (!this.stale) return;
    this.envelopeSum.fill(0);
    this.stale = false;
  }

  averaged(windows: number): Float64Array {
    if (this.stale) this.average.fill(0);
    // x / 1 is x: one window's sum is its average, bit for bit.
    else if (windows === 1) this.average.set(this.envelopeSum);
    else for (let k = 0; k < this.average.length; k++) this.average[k] = this.envelopeSum[k]! / windows;
    return this.average;
  }
}

/** One Hann window per size for the native engines, which keep a reference to it rather than a copy. */
const WINDOW_VALUES = new Map<number, Float64Array>();
function pooledWindowValues(values: Float64Array): Float64Array {
  let window = WINDOW_VALUES.get(values.length);
  if (!window) WINDOW_VALUES.set(values.length, (window = values));
  return window;
}

/** The per-window work in FFTW, natively (native/window-spectra.c): about twice the WebAssembly speed. */
class NativeWindowSpectra implements WindowSpectra {
  private readonly engine: NativeEngine;
  private readonly sums = new Float64Array(6);
  private readonly size: number;

  constructor(
    private readonly native: NativeKernels,
    window: Float64Array,
    power: Float64Array,
    bands: readonly EnvelopeBand[],
  ) {
    this.size = window.length;
    this.engine = native.createEngine(
      window.length,
      pooledWindowValues(window),
      power,
      bands.map((b) => ({
        first: b.firstBandBin,
        bins: b.bandBins,
        envelopeSize: b.transformSize,
        lastBin: b.lastEnvelopeBin,
        scale: b.envelopeScale,
        sum: b.envelopeSum,
      })),
    );
  }

  add(samples: Float32Array | Float64Array, start: number, band: number, sums: MomentSums | null): void {
    if (!sums) {
      this.native.addWindow(this.engine, samples, start, band);
      return;
    }
    this.native.addWindow(this.engine, samples, start, band, this.sums);
    const s = this.sums;
    sums.set(this.size, samples[start]!, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!);
  }
}

/** The per-window work in PFFFT's WebAssembly transforms, with the per-bin kernels in its memory. */
class WasmWindowSpectra implements WindowSpectra {
  /** The Hann window, in the transforms' memory where the windowing kernel reads it. */
  private readonly window: HeapFloat64;
  private readonly signalFft: RealFft;
  private readonly envelopes: WasmEnvelope[];

  constructor(
    window: Float64Array,
    private readonly power: Float64Array,
    bands: readonly EnvelopeBand[],
  ) {
    this.window = pooledHannWindow(window.length, window);
    this.signalFft = pooledRealFft('signal', window.length);
    this.envelopes = bands.map((band) => new WasmEnvelope(band));
  }

  add(samples: Float32Array | Float64Array, start: number, band: number, sums: MomentSums | null): void {
    const size = this.signalFft.size;
    if (sums) windowWithMoments(samples, start, this.window.values, this.signalFft.input, size, sums);
    else applyWindow(samples, start, this.window.values, this.signalFft.input, size);
    const spectrum = this.signalFft.forward();
    accumulatePower(spectrum, this.power, size / 2);
    if (band === ALL_BANDS) for (const envelope of this.envelopes) envelope.add(spectrum);
    else this.envelopes[band]!.add(spectrum);
  }
}

/** One band's pre-whitened squared envelope of a window, added to its sum, in WebAssembly. */
class WasmEnvelope {
  private readonly bandFft: ComplexFft | null;
  private readonly envelopeFft: RealFft | null;
  /** The envelope transform's internal index of each ordered one. */
  private readonly envelopeOrder: Int32Array | null;

  constructor(private readonly band: EnvelopeBand) {
    const size = band.transformSize;
    // Bands of one size share their transforms (pooled): they are processed in turn.
    this.bandFft = size > 0 ? pooledComplexFft('band', size) : null;
    this.envelopeFft = size > 0 ? pooledRealFft('envelope', size) : null;
    this.envelopeOrder = this.envelopeFft ? this.envelopeFft.internalIndexOfOrdered : null;
  }

  add(spectrum: Float32Array): void {
    if (!this.bandFft || !this.envelopeFft) return;
    const band = this.band;
    const whitenedBins = whitenBand(spectrum, band.firstBandBin, band.bandBins, this.bandFft.input);
    if (whitenedBins === 0) return;
    const analytic = this.bandFft.inverse();
    // By Parseval the unscaled inverse of unit-magnitude bins has mean square = their count: the
    // squared envelope is made relative to its mean in the same pass. No second window here:
    // whitening has spread each window's energy evenly over it.
    relativeSquaredEnvelope(analytic, this.envelopeFft.input, this.envelopeFft.size, whitenedBins);
    // Only the lowest bins are read: they are read in the transform's own layout, unreordered.
    const envelope = this.envelopeFft.forwardUnordered();
    accumulateMagnitudeInternal(
      envelope,
      this.envelopeOrder!,
      band.envelopeSum,
      band.lastEnvelopeBin,
      band.envelopeScale,
    );
  }
}
