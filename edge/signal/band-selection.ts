import type { DefectMultiples } from '../../shared/bearings.js';
import { BEARING_FAULTS, ENVELOPE_FIRST_LINE_BIN, SLIP_ABOVE, SLIP_BELOW } from './bearing-diagnosis.js';
import type { FrequencyBand } from './spectra-accumulator.js';
import { LineFinder } from './spectral-lines.js';

/**
 * A candidate carrier band must be this many times as wide as the highest envelope line looked for:
 * the squared envelope of a band holds modulation only up to the band's width, and a band barely
 * wider than the lines gives band-limited noise whose spurious low lines a kurtogram is known to
 * favour (Smith & Randall 2015 on the CWRU data; our own trial of a naive kurtogram).
 */
export const MIN_BAND_WIDTH_LINES = 3;
/** Levels of the 1/3-binary tree (Antoni 2007): halves, thirds, quarters, sixths, eighths… */
const TREE_DIVISIONS = [2, 3, 4, 6, 8, 12, 16];
/**
 * A narrower band replaces the full band only when its evidence is clearly stronger: the log-SNR
 * sum must exceed the full band's by this much (about one more line at 2.7× its floor). Records the
 * full band diagnoses stay with it, and noise in one of many bands is not taken for a defect.
 */
export const SWITCH_MARGIN = 1;

const FUNDAMENTAL_SNR = 3;
const HARMONIC_SNR = 2.5;
const HARMONICS = 3;

/**
 * The candidates: the full band first, then the 1/3-binary tree of fast-kurtogram bands (Antoni
 * 2007) inside it, down to the narrowest band still MIN_BAND_WIDTH_LINES times the highest line.
 * The tree's levels together cost a few full-band envelopes, which is why the streaming diagnoser
 * evaluates them only now and then.
 */
export function candidateBands(full: FrequencyBand, highestLineHz: number): FrequencyBand[] {
  const bands = [full];
  const width = full.highHz - full.lowHz;
  for (const divisions of TREE_DIVISIONS) {
    const step = width / divisions;
    if (step < MIN_BAND_WIDTH_LINES * highestLineHz) break;
    for (let i = 0; i < divisions; i++)
      bands.push({ lowHz: full.lowHz + i * step, highHz: full.lowHz + (i + 1) * step });
  }
  return bands;
}

export interface BandEvidence {
  /** Sum of log-SNRs of the strongest defect family's fundamental and harmonics (0: none found). */
  score: number;
  /** The family that gave it, e.g. "BPFO". */
  family: string | null;
  /** Its lines that stood out: the fundamental and 1–2 harmonics (0: no family). */
  lines: number;
  /** Where its fundamental was found, Hz (0: no family). */
  hz: number;
}

/**
 * How strongly one band's envelope spectrum shows a defect family: for the outer race, inner race
 * and rolling element, the fundamental within the slip range and its 2nd and 3rd harmonics (of the
 * observed line). A family counts only with its fundamental and at least one harmonic: one line
 * alone is as likely noise in one of many bands. The cage is left out: its low line is where
 * band-limited noise and a healthy bearing's load-zone modulation sit.
 */
export function bandEvidence(
  envelope: Float64Array,
  binHz: number,
  bearing: DefectMultiples,
  shaftHz: number,
): BandEvidence {
  const finder = new LineFinder(envelope, binHz, ENVELOPE_FIRST_LINE_BIN - 1, 2);
  let best: BandEvidence = { score: 0, family: null, lines: 0, hz: 0 };
  for (const spec of BEARING_FAULTS) {
    if (spec.fault === 'cage') continue;
    const expectedHz = spec.multiple(bearing) * shaftHz;
    const fundamental = finder.find(expectedHz, {
      lowHz: expectedHz * (1 - SLIP_BELOW) - binHz,
      highHz: expectedHz * (1 + SLIP_ABOVE) + binHz,
    });
    if (!fundamental || fundamental.snr < FUNDAMENTAL_SNR) continue;
    let score = Math.log(fundamental.snr);
    let harmonics = 0;
    for (let order = 2; order <= HARMONICS; order++) {
      const hz = order * fundamental.hz;
      const tolerance = (1 + 0.5 * order) * binHz;
      const line = finder.find(hz, { lowHz: hz - tolerance, highHz: hz + tolerance });
      if (!line || line.snr < HARMONIC_SNR) continue;
      harmonics++;
      score += Math.log(line.snr);
    }
    if (harmonics > 0 && score > best.score)
      best = { score, family: spec.label, lines: 1 + harmonics, hz: fundamental.hz };
  }
  return best;
}

/**
 * The band to demodulate: the one whose envelope spectrum shows the strongest defect family, if it
 * beats the full band (candidate 0) by SWITCH_MARGIN; otherwise the full band.
 */
export function chooseBand(evidence: readonly BandEvidence[]): number {
  let chosen = 0;
  const full = evidence[0]?.score ?? 0;
  for (let i = 1; i < evidence.length; i++) {
    if (evidence[i]!.score >= full + SWITCH_MARGIN && evidence[i]!.score > evidence[chosen]!.score)
      chosen = i;
  }
  return chosen;
}
