import { LineFinder } from './spectral-lines.js';

/** Where the shaft speed may be: around a given rpm, or a nominal range when none is given. */
export interface SpeedSearch {
  lowHz: number;
  highHz: number;
  /** The speed given by the user or the asset; absent when only a range is known. */
  givenHz?: number;
}

/**
 * How the speed used for the defect frequencies was obtained: `given` (the rpm as stated: no clear
 * shaft harmonics, or no search asked for), `estimated` (from the shaft harmonics in the spectrum),
 * `envelope` (only a range was given, no shaft harmonics stood out, and of the speeds across the
 * range this one put a defect family's lines where they stand out most), `range-centre` (only a
 * range, and neither spectrum showed anything).
 */
export type SpeedSource = 'given' | 'estimated' | 'envelope' | 'range-centre';

export interface SpeedEstimate {
  shaftHz: number;
  source: SpeedSource;
  /** Shaft harmonics that stood clearly above their floor at the estimated speed (0 when not estimated). */
  harmonics: number;
}

/** Harmonics of 1× followed: enough to resolve 0.1 % at typical windows, few enough to stay below gear and blade lines. */
const HARMONICS_SEARCHED = 10;
/** A shaft line counts when it stands this far above the median of its neighbourhood. */
export const SPEED_LINE_SNR = 4;
/** 1× and at least one harmonic: one line alone may be anything near the shaft speed. */
const LINES_NEEDED = 2;
/** One very strong line (a mains or gear tone) must not outweigh a series: each line's weight is capped. */
const LINE_WEIGHT_CAP = Math.log(50);
/** A harmonic is looked for this close to where the speed so far puts it: one bin plus 0.1 %. */
const HARMONIC_TOLERANCE = 0.001;

interface Series {
  shaftHz: number;
  lines: number;
  score: number;
}

/**
 * The shaft speed from the signal itself. Each clear line (≥ SPEED_LINE_SNR × its floor) in the
 * searched range is a candidate 1×; its harmonics 2×…10× are followed one by one, each looked for
 * within a bin of where the speed fitted so far puts it, and each found one refines the speed by a
 * least-squares fit through the origin (f = Σ h·f_h / Σ h², the highest harmonics carry the most
 * precision). The candidate whose series stands out most (sum of capped log-SNRs) wins. Searching
 * only inside the range means no sub- or super-harmonic can be taken for 1×. Without a clear
 * series (1× and a harmonic) the given speed, or the range's centre, is kept: a wrong
 * "refinement" would move every defect frequency.
 */
export function estimateShaftSpeed(
  amplitude: Float64Array,
  binHz: number,
  search: SpeedSearch,
): SpeedEstimate {
  const fallback: SpeedEstimate = {
    shaftHz: search.givenHz ?? (search.lowHz + search.highHz) / 2,
    source: search.givenHz === undefined ? 'range-centre' : 'given',
    harmonics: 0,
  };
  if (!(search.highHz > search.lowHz)) return fallback;
  const finder = new LineFinder(amplitude, binHz, 1, 2);
  let best: Series | null = null;
  const first = Math.max(2, Math.floor(search.lowHz / binHz));
  const last = Math.min(amplitude.length - 2, Math.ceil(search.highHz / binHz));
  for (let bin = first; bin <= last; bin++) {
    if (!isPeak(amplitude, bin)) continue;
    const hz = interpolatedBin(amplitude, bin) * binHz;
    if (hz < search.lowHz - binHz / 2 || hz > search.highHz + binHz / 2) continue;
    const snr = amplitude[bin]! / finder.noiseFloor(bin, hz);
    if (!(snr >= SPEED_LINE_SNR)) continue;
    const series = followHarmonics(amplitude, binHz, finder, hz, snr);
    if (!best || series.score > best.score) best = series;
  }
  if (!best || best.lines < LINES_NEEDED) return fallback;
  // A fit that leaves the range means the lines were not one series.
  if (best.shaftHz < search.lowHz - binHz || best.shaftHz > search.highHz + binHz) return fallback;
  return { shaftHz: best.shaftHz, source: 'estimated', harmonics: best.lines };
}

function followHarmonics(
  amplitude: Float64Array,
  binHz: number,
  finder: LineFinder,
  firstHz: number,
  firstSnr: number,
): Series {
  let weighted = firstHz;
  let norm = 1;
  let lines = 1;
  let score = Math.min(Math.log(firstSnr), LINE_WEIGHT_CAP);
  for (let order = 2; order <= HARMONICS_SEARCHED; order++) {
    const expectedHz = (order * weighted) / norm;
    const tolerance = binHz + HARMONIC_TOLERANCE * expectedHz;
    const low = Math.max(2, Math.ceil((expectedHz - tolerance) / binHz));
    const high = Math.min(amplitude.length - 2, Math.floor((expectedHz + tolerance) / binHz));
    if (high < low) break;
    let bin = -1;
    for (let k = low; k <= high; k++)
      if (isPeak(amplitude, k) && (bin < 0 || amplitude[k]! > amplitude[bin]!)) bin = k;
    if (bin < 0) continue;
    const snr = amplitude[bin]! / finder.noiseFloor(bin, expectedHz);
    if (!(snr >= SPEED_LINE_SNR)) continue;
    weighted += order * interpolatedBin(amplitude, bin) * binHz;
    norm += order * order;
    lines++;
    score += Math.min(Math.log(snr), LINE_WEIGHT_CAP);
  }
  return { shaftHz: weighted / norm, lines, score };
}

const isPeak = (a: Float64Array, k: number): boolean => a[k]! > a[k - 1]! && a[k]! >= a[k + 1]!;

/**
 * Peak position from the log-amplitudes of three bins (Gaussian interpolation): for a Hann window
 * its bias is a few hundredths of a bin, against about a tenth for a parabola on the amplitudes.
 */
function interpolatedBin(amplitude: Float64Array, bin: number): number {
  const left = amplitude[bin - 1]!;
  const centre = amplitude[bin]!;
  const right = amplitude[bin + 1]!;
  if (!(left > 0 && centre > 0 && right > 0)) return bin;
  const l = Math.log(left);
  const c = Math.log(centre);
  const r = Math.log(right);
  const curvature = l - 2 * c + r;
  if (!(curvature < 0)) return bin;
  return bin + Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / curvature));
}
