import type { LineEvidence } from '../../shared/schema/index.js';
import { nativeKernels } from './native-kernels.js';
import { roundToSignificant } from './significant.js';

/** A spectral line found near where it was expected, against the spectrum's local noise floor. */
export interface SpectralLine {
  expectedHz: number;
  /** Centre of the strongest bin in the search range, refined by parabolic interpolation. */
  hz: number;
  amplitude: number;
  noiseFloor: number;
  /** amplitude / noiseFloor: how far the line stands out of its neighbourhood. */
  snr: number;
}

export interface SearchRange {
  lowHz: number;
  highHz: number;
}

/**
 * The median's working copy, shared by every finder: a window's analysis makes several finders and
 * each used to allocate (and grow) its own. Safe because a median is taken synchronously.
 */
let scratch = new Float64Array(1024);

/**
 * The median by buckets (noiseFloorByBuckets) reads each double's high 32 bits as an integer, which
 * orders non-negative doubles as their values do; that word is the second of the two on a
 * little-endian machine (every platform Node supports today) and the first on a big-endian one.
 */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** Buckets of the counting pass: few enough to clear and scan for nothing, enough to leave few values in one. */
const BUCKETS = 64;
const bucketCounts = new Int32Array(BUCKETS);
/** Below this many values the plain quickselect is as fast as counting. */
const BUCKETED_MEDIAN_FROM = 64;
/** The same bucketed median in C (native/spectral-median.c), exactly, in a third of the time. */
const nativeMedian = nativeKernels;

/** Neighbourhood statistics on one spectrum; finding lines allocates nothing but the results. */
export class LineFinder {
  /** The spectrum's doubles as pairs of 32-bit words, for the bucketed median (made when first needed). */
  private words: Int32Array | null = null;

  constructor(
    private spectrum: Float64Array,
    private binHz: number,
    /** Bins at and below this one carry the window's own leakage and DC: never lines, never noise. */
    private readonly firstUsableBin: number,
    /** Half-width of a line's main lobe in bins: excluded from its own noise floor. */
    private readonly guardBins: number,
  ) {}

  use(spectrum: Float64Array, binHz: number): void {
    this.spectrum = spectrum;
    this.words = null;
    this.binHz = binHz;
  }

  /** Highest bin whose centre lies in the range, or null when the range is outside the spectrum. */
  find(expectedHz: number, range: SearchRange): SpectralLine | null {
    const best = this.strongestBin(range);
    return best < 0 ? null : this.lineAt(best, expectedHz);
  }

  /**
   * The bin find() would take as the line (the first of equal highest), or −1 when the range is
   * outside the spectrum: what its amplitude would be, without the noise floor's cost.
   */
  strongestBin(range: SearchRange): number {
    const spectrum = this.spectrum;
    const first = Math.max(this.firstUsableBin + 1, Math.ceil(range.lowHz / this.binHz));
    const last = Math.min(spectrum.length - 2, Math.floor(range.highHz / this.binHz));
    if (last < first) return -1;
    let best = first;
    for (let k = first + 1; k <= last; k++) if (spectrum[k]! > spectrum[best]!) best = k;
    return best;
  }

  /** Amplitude of a bin. */
  amplitudeAt(bin: number): number {
    return this.spectrum[bin]!;
  }

  /** The line at a bin from strongestBin(), measured against its noise floor. */
  lineAt(best: number, expectedHz: number): SpectralLine {
    const amplitude = this.spectrum[best]!;
    const noiseFloor = this.noiseFloor(best, expectedHz);
    return {
      expectedHz,
      hz: this.interpolatedHz(best),
      amplitude,
      noiseFloor,
      snr: noiseFloor > 0 ? amplitude / noiseFloor : 0,
    };
  }

  /**
   * Median of the bins within ±50 % of the line's frequency (at least ±40 bins), its main lobe
   * excluded. A defect brings clusters of sidebands and harmonics: the neighbourhood is wide so that
   * the median stays on the noise between them, which a mean or a narrow window would not.
   */
  noiseFloor(bin: number, hz: number): number {
    const halfWidth = Math.max(40, Math.ceil((0.5 * hz) / this.binHz));
    const start = Math.max(this.firstUsableBin + 1, bin - halfWidth);
    const end = Math.min(this.spectrum.length - 1, bin + halfWidth);
    if (scratch.length < end - start + 1) scratch = new Float64Array(2 * (end - start + 1));
    // Locals, not the module's `let`: V8 re-reads a mutable module binding on every store.
    const buffer = scratch;
    const spectrum = this.spectrum;
    // The bins each side of the main lobe, copied in two runs rather than testing every bin.
    const lobeStart = Math.max(start, bin - this.guardBins);
    const lobeEnd = Math.min(end, bin + this.guardBins);
    const after = Math.max(start, lobeEnd + 1);
    if (lobeStart - start + (end + 1 - after) >= BUCKETED_MEDIAN_FROM) {
      let floor: number;
      if (nativeMedian) {
        floor = nativeMedian.medianOfRuns(spectrum, start, lobeStart, after, end + 1);
      } else {
        this.words ??= wordsOf(spectrum);
        floor = medianByBuckets(spectrum, this.words, start, lobeStart, after, end + 1);
      }
      if (floor === floor) return floor;
    }
    let count = 0;
    for (let k = start; k < lobeStart; k++) buffer[count++] = spectrum[k]!;
    for (let k = Math.max(start, lobeEnd + 1); k <= end; k++) buffer[count++] = spectrum[k]!;
    return count === 0 ? 0 : median(buffer, count);
  }

  private interpolatedHz(bin: number): number {
    const left = this.spectrum[bin - 1] ?? 0;
    const centre = this.spectrum[bin]!;
    const right = this.spectrum[bin + 1] ?? 0;
    const curvature = left - 2 * centre + right;
    const offset = curvature < 0 ? (0.5 * (left - right)) / curvature : 0;
    return (bin + Math.max(-0.5, Math.min(0.5, offset))) * this.binHz;
  }
}

function wordsOf(spectrum: Float64Array): Int32Array {
  return new Int32Array(spectrum.buffer, spectrum.byteOffset, 2 * spectrum.length);
}

/**
 * The same median as noiseFloor's copy and quickselect (the element of rank count >> 1 of
 * spectrum[from, to) and spectrum[from2, to2)), with far fewer unpredictable branches, which were
 * most of its cost on real spectra: one pass finds the range of the values' high words, one counts
 * them into BUCKETS buckets of that range (a bucket holds a contiguous range of values, since for
 * non-negative doubles the high word orders as the value does), and only the bucket holding the
 * median's rank is copied and searched. NaN when a value is negative, −0, infinite or NaN, where
 * the order does not hold: the caller then takes the quickselect.
 */
function medianByBuckets(
  spectrum: Float64Array,
  words: Int32Array,
  from: number,
  to: number,
  from2: number,
  to2: number,
): number {
  const count = to - from + (to2 - from2);
  let min = 0x7fffffff;
  let max = -1;
  for (let k = from; k < to; k++) {
    const word = words[2 * k + HIGH_WORD]!;
    if (word < min) min = word;
    if (word > max) max = word;
  }
  for (let k = from2; k < to2; k++) {
    const word = words[2 * k + HIGH_WORD]!;
    if (word < min) min = word;
    if (word > max) max = word;
  }
  // A sign bit (negative, −0) reads as a negative word; infinities and NaN have all exponent bits set.
  if (min < 0 || max >= 0x7ff00000) return NaN;
  let shift = 0;
  while ((max - min) >> shift >= BUCKETS) shift++;
  const counts = bucketCounts;
  counts.fill(0);
  for (let k = from; k < to; k++) counts[(words[2 * k + HIGH_WORD]! - min) >> shift]!++;
  for (let k = from2; k < to2; k++) counts[(words[2 * k + HIGH_WORD]! - min) >> shift]!++;
  let rank = count >> 1;
  let bucket = 0;
  while (rank >= counts[bucket]!) rank -= counts[bucket++]!;
  if (scratch.length < counts[bucket]!) scratch = new Float64Array(2 * counts[bucket]!);
  const buffer = scratch;
  let held = 0;
  for (let k = from; k < to; k++)
    if ((words[2 * k + HIGH_WORD]! - min) >> shift === bucket) buffer[held++] = spectrum[k]!;
  for (let k = from2; k < to2; k++)
    if ((words[2 * k + HIGH_WORD]! - min) >> shift === bucket) buffer[held++] = spectrum[k]!;
  return select(buffer, held, rank);
}

/** Median of values[0..count) by quickselect; reorders that part of the array. */
export function median(values: Float64Array, count: number): number {
  return select(values, count, count >> 1);
}

/** The element of rank `middle` of values[0..count) by quickselect; reorders that part of the array. */
function select(values: Float64Array, count: number, middle: number): number {
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const pivot = values[(low + high) >> 1]!;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (middle <= j) high = j;
    else if (middle >= i) low = i;
    else break;
  }
  return values[middle]!;
}

const round = (value: number, digits = 3) => roundToSignificant(value, digits);

/** A line as a finding's evidence: where it was expected, where it is, and whether it stands out. */
export function lineEvidence(
  label: string,
  role: LineEvidence['role'],
  line: SpectralLine | null,
  expectedHz: number,
  threshold: number,
): LineEvidence {
  return {
    label,
    role,
    expectedHz: round(expectedHz, 5),
    hz: round(line?.hz ?? 0, 5),
    snr: round(line?.snr ?? 0),
    found: (line?.snr ?? 0) >= threshold,
  };
}
