import type { LineEvidence } from '../../shared/schema/index.js';
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

/** Neighbourhood statistics on one spectrum; finding lines allocates nothing but the results. */
export class LineFinder {
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
    this.binHz = binHz;
  }

  /** Highest bin whose centre lies in the range, or null when the range is outside the spectrum. */
  find(expectedHz: number, range: SearchRange): SpectralLine | null {
    const spectrum = this.spectrum;
    const first = Math.max(this.firstUsableBin + 1, Math.ceil(range.lowHz / this.binHz));
    const last = Math.min(spectrum.length - 2, Math.floor(range.highHz / this.binHz));
    if (last < first) return null;
    let best = first;
    for (let k = first + 1; k <= last; k++) if (spectrum[k]! > spectrum[best]!) best = k;
    const amplitude = spectrum[best]!;
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

/** Median of values[0..count) by quickselect; reorders that part of the array. */
export function median(values: Float64Array, count: number): number {
  const middle = count >> 1;
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
