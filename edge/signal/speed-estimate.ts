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
  /** Shaft lines (1× and harmonics) that stood clearly above their floor at the speed used (0: none looked at or found). */
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
/**
 * A harmonic is accepted within half a bin of where the speed fitted so far puts it, plus that
 * prediction's own uncertainty: the first line's position is good to about FIRST_LINE_ERROR bins,
 * and the fit's error shrinks as 1/√(Σh²) of the lines in it. Mains, gear and bearing lines often
 * sit 1–2 bins from a shaft harmonic: a looser tolerance takes them in and drags the speed.
 */
const FIRST_LINE_ERROR = 0.1;

/**
 * Induction motors and drives show lines at multiples of the mains frequency (2×LF magnetic pull
 * and its harmonics) which a near-synchronous shaft's even harmonics sit a fraction of a bin from
 * (Taylor; ISO 13373-3 practice: "2×LF or 2×rpm" needs resolution). Lines this close to a multiple of
 * 50 or 60 Hz neither start nor extend a series: the odd harmonics and 1× still carry the speed.
 */
const MAINS_HZ = [50, 60];
const MAINS_HARMONICS = 10;
const MAINS_TOLERANCE_BINS = 0.3;

function nearMains(hz: number, binHz: number): boolean {
  const tolerance = Math.max(0.1, MAINS_TOLERANCE_BINS * binHz);
  return MAINS_HZ.some((mains) => {
    const order = Math.round(hz / mains);
    return order >= 1 && order <= MAINS_HARMONICS && Math.abs(hz - order * mains) <= tolerance;
  });
}

interface Series {
  shaftHz: number;
  lines: number;
  score: number;
}

/**
 * The highest amplitude-spectrum frequency estimateShaftSpeed reads: harmonics up to
 * HARMONICS_SEARCHED × the top of the search (plus its tolerance), and the ±50 % neighbourhood of
 * each one's noise floor (at least 40 bins). Bins above need not be computed; the bound is
 * generous so that rounding never brings a read bin to its edge.
 */
export function speedEstimateReachHz(search: SpeedSearch, binHz: number): number {
  const topLineHz = HARMONICS_SEARCHED * (search.highHz + binHz) + 2 * binHz;
  return 1.5 * topLineHz + 64 * binHz;
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
    if (hz < search.lowHz - binHz / 2 || hz > search.highHz + binHz / 2 || nearMains(hz, binHz)) continue;
    const snr = amplitude[bin]! / finder.noiseFloor(bin, hz);
    if (!(snr >= SPEED_LINE_SNR)) continue;
    const series = followHarmonics(amplitude, binHz, finder, hz, snr);
    if (!best || series.score > best.score) best = series;
  }
  if (!best || best.lines < LINES_NEEDED) return fallback;
  // A fit that leaves the range means the lines were not one series.
  if (best.shaftHz < search.lowHz - binHz || best.shaftHz > search.highHz + binHz) return fallback;
  // The given speed stands while the spectrum confirms it: in a dense spectrum at coarse
  // resolution, lines a bin off the harmonics can form a plausible series a little off 1×.
  if (search.givenHz !== undefined) {
    const atGiven = seriesAt(amplitude, binHz, finder, search.givenHz);
    const atEstimate = seriesAt(amplitude, binHz, finder, best.shaftHz);
    if (atGiven.lines >= LINES_NEEDED && atGiven.score >= GIVEN_SPEED_KEEP * atEstimate.score)
      return { ...fallback, harmonics: atGiven.lines };
  }
  return { shaftHz: best.shaftHz, source: 'estimated', harmonics: best.lines };
}

/**
 * The given speed is kept while 1× and a harmonic sit within half a bin of it and its series scores
 * at least this share of the estimate's: a speed 2 % off misses the harmonics by bins, a right one
 * matches most of them.
 */
const GIVEN_SPEED_KEEP = 0.5;

/** Score of the harmonic series of a fixed speed: lines within half a bin of h × shaftHz. */
function seriesAt(amplitude: Float64Array, binHz: number, finder: LineFinder, shaftHz: number): Series {
  let lines = 0;
  let score = 0;
  for (let order = 1; order <= HARMONICS_SEARCHED; order++) {
    const expectedHz = order * shaftHz;
    const high = Math.ceil((expectedHz + binHz / 2) / binHz);
    if (high >= amplitude.length - 2) break;
    let bin = -1;
    for (let k = Math.max(2, Math.floor((expectedHz - binHz / 2) / binHz)); k <= high; k++)
      if (isPeak(amplitude, k) && (bin < 0 || amplitude[k]! > amplitude[bin]!)) bin = k;
    if (bin < 0) continue;
    const lineHz = interpolatedBin(amplitude, bin) * binHz;
    if (Math.abs(lineHz - expectedHz) > binHz / 2 || nearMains(lineHz, binHz)) continue;
    const snr = amplitude[bin]! / finder.noiseFloor(bin, expectedHz);
    if (!(snr >= SPEED_LINE_SNR)) continue;
    lines++;
    score += Math.min(Math.log(snr), LINE_WEIGHT_CAP);
  }
  return { shaftHz, lines, score };
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
    const tolerance = binHz * (0.5 + (FIRST_LINE_ERROR * order) / Math.sqrt(norm));
    const low = Math.max(2, Math.floor((expectedHz - tolerance) / binHz));
    const high = Math.min(amplitude.length - 2, Math.ceil((expectedHz + tolerance) / binHz));
    if (high < low || expectedHz + tolerance >= (amplitude.length - 2) * binHz) break;
    let bin = -1;
    for (let k = low; k <= high; k++)
      if (isPeak(amplitude, k) && (bin < 0 || amplitude[k]! > amplitude[bin]!)) bin = k;
    if (bin < 0) continue;
    const lineHz = interpolatedBin(amplitude, bin) * binHz;
    if (Math.abs(lineHz - expectedHz) > tolerance || nearMains(lineHz, binHz)) continue;
    const snr = amplitude[bin]! / finder.noiseFloor(bin, expectedHz);
    if (!(snr >= SPEED_LINE_SNR)) continue;
    weighted += order * lineHz;
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
