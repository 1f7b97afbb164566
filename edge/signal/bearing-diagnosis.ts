import type { Fault, Finding, LineEvidence } from '../../shared/schema/index.js';
import type { DefectMultiples } from '../../shared/bearings.js';
import type { AveragedSpectra } from './spectra-accumulator.js';
import { LineFinder, lineEvidence, type SearchRange, type SpectralLine } from './spectral-lines.js';
import { roundToSignificant } from './significant.js';

/**
 * Observed defect lines sit below the kinematic values because the rolling elements slip (1–3 %,
 * Randall & Antoni 2011); a line a little above is still plausible from speed measurement error.
 */
export const SLIP_BELOW = 0.035;
export const SLIP_ABOVE = 0.015;
/**
 * A bearing slips as a whole: once one family's line has measured the deviation from kinematics,
 * the others are searched within this much of the same deviation. Much of the common deviation is
 * the error of the speed itself (a nominal rpm, a drifting motor), which moves every line alike. The
 * cage's own slip lowers BPFO and, in theory, raises BPFI by FTF/(1 − FTF) of that; observed lines
 * show both races low (the development records: −0.2 to −2.1 %), so the families stay within about
 * 1 % of one another, while a line of another origin sits further off (the CWRU line under 2×BSF
 * that was BPFO+1×: 2.6 % from a BPFO at +0.2 %).
 */
export const ONE_SLIP_TOLERANCE = 0.01;
/** A line stands out when it is this many times its neighbourhood's median. */
export const FUNDAMENTAL_SNR = 3;
export const SUPPORTING_SNR = 2.5;
export const HARMONICS_SEARCHED = 3;
/**
 * A finding needs a fundamental that stands out and, unless it stands out strongly on its own, at
 * least one supporting line (harmonic, sideband or modulating rotation) where the fault's kinematics
 * put it: on the healthy development records no fundamental reached 6 and none reached 3 with a
 * supporting line. The score (a weighted sum of log-SNRs) then sets the confidence.
 */
const REPORT_SCORE = 1.6;
const STRONG_FUNDAMENTAL_SNR = 6;
const CONFIDENCE_SCALE = 2.5;
/** A cage line standing on its own (no race defect it modulates) must be this far above its floor. */
const CAGE_STANDALONE_SNR = 10;
/**
 * …and carry this much of the mean squared envelope (the envelope spectrum's unit), i.e. modulate
 * the bearing's whole envelope deeply. SNR alone is not a property of the bearing: the envelope's
 * noise floor falls as 1/√(carrier bandwidth × window duration), so at 48–97 kHz a new bearing's
 * shallow load-zone modulation (0.15 of the mean square) stood 11–16× above its floor and read as a
 * cage defect, while its depth stays what it is on any rig. The new bearing of the development data
 * (IMS test 1 bearing 1, all 23 early snapshots) shows FTF lines of 0.20–0.34: half the mean square
 * keeps a margin above that. A cage striking once per turn spreads its energy over many harmonics and
 * is found instead as the cage modulating race lines (measured on the synthetic rigs: unchanged).
 */
const CAGE_STANDALONE_DEPTH = 0.5;

/** Envelope bins below this one carry the window's own leakage and DC, not modulation. */
export const ENVELOPE_FIRST_LINE_BIN = 4;

export const ENVELOPE_METHOD = 'cepstral pre-whitening + squared envelope spectrum (Welch-averaged)';

interface BearingFaultSpec {
  fault: Fault;
  label: string;
  multiple: (m: DefectMultiples) => number;
  /** The modulation that spaces this fault's sidebands, as a multiple of shaft frequency. */
  sidebandMultiple?: (m: DefectMultiples) => number;
  sidebandLabel?: string;
  /** A race defect: its impacts are what a cage fault modulates. */
  race?: boolean;
  /** Cage-rate lines also come from healthy bearings: a finding needs corroboration (cageCorroborated). */
  needsCorroboration?: boolean;
  /** Orders of ±FTF sidebands this family's modulation puts around its lines (default 1). */
  cageComb?: number;
  /** Lines of the modulating rotation itself, which the envelope shows beside the defect's. */
  modulationLines?: (m: DefectMultiples) => { label: string; multiple: number }[];
}

/**
 * Inner-race defects rotate with the shaft through the load zone: sidebands at ±1× shaft. Rolling
 * elements strike both races once per spin (2×BSF) and orbit with the cage: sidebands at ±FTF.
 */
export const BEARING_FAULTS: readonly BearingFaultSpec[] = [
  { fault: 'outer_race', label: 'BPFO', multiple: (m) => m.bpfo, race: true },
  {
    fault: 'inner_race',
    label: 'BPFI',
    multiple: (m) => m.bpfi,
    race: true,
    sidebandMultiple: () => 1,
    sidebandLabel: '1×',
    modulationLines: () => [{ label: '1×', multiple: 1 }],
  },
  {
    fault: 'rolling_element',
    label: '2×BSF',
    multiple: (m) => 2 * m.bsf,
    sidebandMultiple: (m) => m.ftf,
    sidebandLabel: 'FTF',
    cageComb: 3,
    modulationLines: (m) => [
      { label: 'FTF', multiple: m.ftf },
      { label: '2×FTF', multiple: 2 * m.ftf },
    ],
  },
  { fault: 'cage', label: 'FTF', multiple: (m) => m.ftf, needsCorroboration: true },
];

export interface BearingAssessment {
  fault: Fault;
  label: string;
  fundamental: SpectralLine | null;
  lines: LineEvidence[];
  harmonics: number;
  sidebands: number;
  modulation: number;
  score: number;
  /** The better-fitting family's line the fundamental coincides with, when it does (no evidence then). */
  explainedBy?: string;
  /** Lines that stood out but belong to a better-fitting family, for the reasoning. */
  explainedAway: string[];
  /** The bearing's common deviation this family was searched at, and the line that set it. */
  slip?: BearingSlip;
  /** This family's line measured the slip the others were searched at. */
  setsSlip?: boolean;
}

/** Observed over kinematic frequency, minus one (−0.015: lines 1.5 % low), and where it was measured. */
export interface BearingSlip {
  deviation: number;
  measuredOn: string;
}

export interface AssessmentContext {
  /** Search the fundamental at this common deviation (tight tolerance) instead of the free slip band. */
  slip?: BearingSlip;
  /** Lines already explained by better-fitting families: they are not evidence for this one. */
  explained?: ExplainedLines;
}

// roundToSignificant is Number(value.toPrecision(digits)) without the string (significant.test.ts).
const round = (value: number, digits = 3) => roundToSignificant(value, digits);
const percent = (deviation: number) =>
  `${deviation >= 0 ? '+' : '−'}${Math.abs(deviation * 100).toFixed(1)} %`;

/**
 * Where a family's fundamental may lie. Free: the slip band. With the bearing's common slip: within
 * ONE_SLIP_TOLERANCE (at least 1.5 bins, the line position's own uncertainty) of the kinematic value
 * moved by that slip, and never outside the slip band.
 */
export function fundamentalRange(expectedHz: number, binHz: number, slip?: BearingSlip): SearchRange {
  const lowHz = expectedHz * (1 - SLIP_BELOW) - binHz;
  const highHz = expectedHz * (1 + SLIP_ABOVE) + binHz;
  if (!slip) return { lowHz, highHz };
  const centreHz = expectedHz * (1 + slip.deviation);
  const halfWidthHz = Math.max(ONE_SLIP_TOLERANCE * expectedHz, 1.5 * binHz);
  return { lowHz: Math.max(lowHz, centreHz - halfWidthHz), highHz: Math.min(highHz, centreHz + halfWidthHz) };
}

/**
 * Envelope lines already attributed to a family, and the places its modulation puts lines. Two lines
 * coincide when they are closer than 1.5 bins (each interpolated position is good to about half a
 * bin, and a derived position adds the error of the shaft speed) plus 0.2 % of the frequency.
 */
export class ExplainedLines {
  private readonly lines: { hz: number; label: string }[] = [];

  constructor(private readonly binHz: number) {}

  add(hz: number, label: string): void {
    if (hz > 0) this.lines.push({ hz, label });
  }

  /** The label of the line that explains one at `hz`, or undefined when none does. */
  explain(hz: number): string | undefined {
    const tolerance = 1.5 * this.binHz + 0.002 * hz;
    let best: { hz: number; label: string } | undefined;
    for (const line of this.lines)
      if (Math.abs(line.hz - hz) <= tolerance && (!best || Math.abs(line.hz - hz) < Math.abs(best.hz - hz)))
        best = line;
    return best?.label;
  }
}

/** The envelope spectrum's evidence for one fault: its fundamental, harmonics and sidebands. */
export function assessBearingFault(
  spec: BearingFaultSpec,
  multiples: DefectMultiples,
  shaftHz: number,
  finder: LineFinder,
  binHz: number,
  context: AssessmentContext = {},
): BearingAssessment {
  const expectedHz = spec.multiple(multiples) * shaftHz;
  const fundamental = finder.find(expectedHz, fundamentalRange(expectedHz, binHz, context.slip));
  const lines: LineEvidence[] = [
    lineEvidence(spec.label, 'fundamental', fundamental, expectedHz, FUNDAMENTAL_SNR),
  ];
  const assessment: BearingAssessment = {
    fault: spec.fault,
    label: spec.label,
    fundamental,
    lines,
    harmonics: 0,
    sidebands: 0,
    modulation: 0,
    score: 0,
    explainedAway: [],
    ...(context.slip ? { slip: context.slip } : {}),
  };
  /** A line that stands out counts unless a better-fitting family's line sits at the same place. */
  const counts = (line: SpectralLine | null, evidence: LineEvidence): line is SpectralLine => {
    if (!line || !evidence.found) return false;
    const explainer = context.explained?.explain(line.hz);
    if (explainer === undefined) return true;
    evidence.found = false;
    assessment.explainedAway.push(
      `${evidence.label} at ${line.hz.toFixed(1)} Hz (${line.snr.toFixed(1)}×) is ${explainer}`,
    );
    return false;
  };
  if (!counts(fundamental, lines[0]!)) {
    if (fundamental && lines[0]!.snr >= FUNDAMENTAL_SNR && assessment.explainedAway.length > 0)
      assessment.explainedBy = assessment.explainedAway[0];
    return assessment;
  }
  assessment.score += Math.log(fundamental.snr);
  // Harmonics follow the observed fundamental, so the slip is already accounted for.
  for (let order = 2; order <= HARMONICS_SEARCHED; order++) {
    const hz = order * fundamental.hz;
    const tolerance = (1 + 0.5 * order) * binHz;
    const line = finder.find(hz, { lowHz: hz - tolerance, highHz: hz + tolerance });
    const evidence = lineEvidence(
      `${order}×${spec.label}`,
      'harmonic',
      line,
      order * expectedHz,
      SUPPORTING_SNR,
    );
    lines.push(evidence);
    if (counts(line, evidence)) {
      assessment.harmonics++;
      assessment.score += 0.6 * Math.log(line.snr);
    }
  }
  if (spec.sidebandMultiple) {
    const spacingHz = spec.sidebandMultiple(multiples) * shaftHz;
    for (const sign of [-1, 1]) {
      const hz = fundamental.hz + sign * spacingHz;
      const tolerance = 1.5 * binHz + 0.01 * spacingHz;
      const line = finder.find(hz, { lowHz: hz - tolerance, highHz: hz + tolerance });
      const label = `${spec.label}${sign < 0 ? '−' : '+'}${spec.sidebandLabel}`;
      const evidence = lineEvidence(label, 'sideband', line, expectedHz + sign * spacingHz, SUPPORTING_SNR);
      lines.push(evidence);
      if (counts(line, evidence)) {
        assessment.sidebands++;
        assessment.score += 0.4 * Math.log(line.snr);
      }
    }
  }
  for (const modulating of spec.modulationLines?.(multiples) ?? []) {
    const hz = modulating.multiple * shaftHz;
    const tolerance = 1.5 * binHz + 0.02 * hz;
    const line = finder.find(hz, { lowHz: hz - tolerance, highHz: hz + tolerance });
    const evidence = lineEvidence(modulating.label, 'modulation', line, hz, SUPPORTING_SNR);
    lines.push(evidence);
    if (counts(line, evidence)) {
      assessment.modulation++;
      assessment.score += 0.4 * Math.log(line.snr);
    }
  }
  return assessment;
}

/**
 * How well a family's own lines fit the spectrum: its fundamental and harmonics, weighted as in the
 * score. Sidebands and modulation lines are left out on purpose: they are exactly the lines another
 * family's harmonics and sidebands can supply (the CWRU case: 2×BSF's "FTF sidebands" around a line
 * that was BPFO+1×), so counting them would let a borrowed line make the borrower look better. A
 * fundamental and its harmonic series belong to one family; a sideband is always weaker than the
 * line it flanks. The deviation enters through the one-slip search: a family whose line sits at a
 * deviation the bearing's slip does not allow has no fundamental to fit with.
 */
export function fitOf(a: BearingAssessment): number {
  if (!a.fundamental || a.fundamental.snr < FUNDAMENTAL_SNR || a.explainedBy) return 0;
  let fit = Math.log(a.fundamental.snr);
  for (const line of a.lines) if (line.role === 'harmonic' && line.found) fit += 0.6 * Math.log(line.snr);
  return fit;
}

function confidenceOf(spec: BearingFaultSpec, a: BearingAssessment): number {
  if (!a.fundamental || a.explainedBy) return 0;
  const enough = spec.needsCorroboration
    ? cageCorroborated(a)
    : a.harmonics + a.sidebands + a.modulation >= 1 || a.fundamental.snr >= STRONG_FUNDAMENTAL_SNR;
  if (!enough || a.score < REPORT_SCORE) return 0;
  return round(1 - Math.exp(-(a.score - REPORT_SCORE + 0.5) / CONFIDENCE_SCALE), 3);
}

/**
 * A new bearing already shows a cage-rate line, often with a harmonic or two: the load zone turns
 * with the cage, and a cage with a little run-out modulates the whole envelope at FTF. What such a
 * bearing does not show is the cage modulating a race defect's impacts (BPFO or BPFI ± FTF, Randall
 * & Antoni 2011) or a cage line so strong it stands on its own (a broken or rubbing cage strikes once
 * per turn: a line ten times its floor, with its harmonics, carrying half the envelope's mean square
 * or more). One of the two, not one marginal line.
 */
function cageCorroborated(a: BearingAssessment): boolean {
  const corroborating = a.lines.filter((l) => l.role === 'sideband' && l.found).length;
  return (
    (a.harmonics >= 1 && corroborating >= 1) ||
    (a.fundamental!.snr >= CAGE_STANDALONE_SNR &&
      a.fundamental!.amplitude >= CAGE_STANDALONE_DEPTH &&
      a.harmonics >= HARMONICS_SEARCHED - 1)
  );
}

/** The ±FTF lines around a reported race defect's fundamental: the cage modulating its impacts. */
function cageModulationOfRaces(
  cage: BearingAssessment,
  races: BearingAssessment[],
  ftfHz: number,
  finder: LineFinder,
  binHz: number,
): void {
  if (!cage.fundamental || cage.explainedBy) return;
  for (const race of races) {
    const raceHz = race.fundamental!.hz;
    for (const sign of [-1, 1]) {
      const hz = raceHz + sign * ftfHz;
      const tolerance = 1.5 * binHz + 0.01 * ftfHz;
      const line = finder.find(hz, { lowHz: hz - tolerance, highHz: hz + tolerance });
      const label = `${race.label}${sign < 0 ? '−' : '+'}FTF`;
      const evidence = lineEvidence(
        label,
        'sideband',
        line,
        race.fundamental!.expectedHz + sign * ftfHz,
        SUPPORTING_SNR,
      );
      cage.lines.push(evidence);
      if (line && evidence.found) {
        cage.sidebands++;
        cage.score += 0.4 * Math.log(line.snr);
      }
    }
  }
}

/**
 * The line that sets the bearing's common slip: the best-fitting family that would be reported on its
 * own, among those whose line is resolved finely enough to measure a deviation to within half the
 * one-slip tolerance (not the cage line, a few bins from DC).
 */
function slipReference(
  assessments: BearingAssessment[],
  binHz: number,
): { assessment: BearingAssessment; slip: BearingSlip } | undefined {
  let best: BearingAssessment | undefined;
  for (const [i, a] of assessments.entries()) {
    const spec = BEARING_FAULTS[i]!;
    if (spec.needsCorroboration || !a.fundamental || confidenceOf(spec, a) === 0) continue;
    if ((0.5 * binHz) / a.fundamental.hz > ONE_SLIP_TOLERANCE / 2) continue;
    if (!best || fitOf(a) > fitOf(best)) best = a;
  }
  if (!best) return undefined;
  const f = best.fundamental!;
  return {
    assessment: best,
    slip: { deviation: f.hz / f.expectedHz - 1, measuredOn: `${best.label} at ${f.hz.toFixed(1)} Hz` },
  };
}

/**
 * Once a family is reported, its lines and the places its modulation puts lines are its own: each
 * harmonic k·f (k up to HARMONICS_SEARCHED, found or not), their ±1× sidebands (the shaft turning the
 * load or the defect) and ±FTF sidebands (the cage carrying the rolling elements through the load
 * zone; ±2 and ±3·FTF for a rolling-element defect, loaded once per cage turn, whose cage-rate
 * modulation is pulse-like and so a comb), and every supporting line it counted.
 */
function claimLines(
  explained: ExplainedLines,
  spec: BearingFaultSpec,
  a: BearingAssessment,
  shaftHz: number,
  ftfHz: number,
): void {
  const owner = `${a.label}'s (${a.fault.replace('_', ' ')})`;
  for (const line of a.lines) if (line.found) explained.add(line.hz, `${owner} ${line.label}`);
  const f = a.fundamental!.hz;
  for (let order = 1; order <= HARMONICS_SEARCHED; order++) {
    const name = order === 1 ? a.label : `${order}×${a.label}`;
    const hz = order * f;
    explained.add(hz, `${owner} ${name}`);
    for (const sign of [-1, 1]) {
      const s = sign < 0 ? '−' : '+';
      explained.add(hz + sign * shaftHz, `${owner} ${name}${s}1×`);
      for (let k = 1; k <= (spec.cageComb ?? 1); k++)
        explained.add(hz + sign * k * ftfHz, `${owner} ${name}${s}${k === 1 ? '' : k}FTF`);
    }
  }
}

/**
 * The three passes below look at many of the same bins (a family's fundamental found again at the
 * bearing's slip, its harmonics searched again in attribution order): each line's noise floor, a
 * median over ±50 % of its frequency and the costliest step, is computed once per spectrum.
 */
class MemoisedLineFinder extends LineFinder {
  /** Keyed by the arguments themselves, so the cache holds whatever LineFinder makes of them. */
  private readonly floors = new Map<number, Map<number, number>>();

  override noiseFloor(bin: number, hz: number): number {
    // Nested numeric maps rather than one `${bin}@${hz}` key: no string per lookup.
    let byHz = this.floors.get(bin);
    if (byHz === undefined) this.floors.set(bin, (byHz = new Map()));
    let floor = byHz.get(hz);
    if (floor === undefined) {
      floor = super.noiseFloor(bin, hz);
      byHz.set(hz, floor);
    }
    return floor;
  }
}

/**
 * Bearing findings from the averaged envelope spectrum, strongest evidence first.
 *
 * Three steps, because the families' lines interleave (SKF 6205: BPFO+1× lies 2.7 % below 2×BSF;
 * ZA-2115: 2×BSF+FTF lies 0.8 % below BPFI) and a free search per family lets one line count twice:
 * 1. each family is searched freely in the slip band, and the best-fitting reported one measures the
 *    bearing's slip (observed over kinematic frequency);
 * 2. the bearing slips as a whole, so every other family is searched at that same deviation, within
 *    ONE_SLIP_TOLERANCE;
 * 3. families are judged in order of fit, the cage last: a line that coincides with a line of a
 *    reported, better-fitting family (its harmonics, ±1× or ±FTF sidebands) is not evidence for a
 *    later one, and a fundamental explained that way reports nothing.
 */
export function bearingFindings(
  spectra: AveragedSpectra,
  multiples: DefectMultiples,
  shaftHz: number,
): { findings: Finding[]; assessments: BearingAssessment[] } {
  const binHz = spectra.binHz;
  const finder = new MemoisedLineFinder(spectra.envelope, binHz, ENVELOPE_FIRST_LINE_BIN - 1, 2);
  const assess = (spec: BearingFaultSpec, context: AssessmentContext) =>
    assessBearingFault(spec, multiples, shaftHz, finder, binHz, context);

  const free = BEARING_FAULTS.map((spec) => assess(spec, {}));
  const reference = slipReference(free, binHz);
  // Nothing reported and no slip measured: attribution has nothing to take away.
  if (!reference && BEARING_FAULTS.every((spec, i) => confidenceOf(spec, free[i]!) === 0))
    return { findings: [], assessments: free };
  const slip = reference?.slip;
  const constrained = BEARING_FAULTS.map((spec, i) => {
    const a = free[i]!;
    if (a === reference?.assessment || !slip) return a;
    // The strongest bin of the slip band, when inside the narrower range, is also that range's strongest.
    const range = fundamentalRange(a.lines[0]!.expectedHz, binHz, slip);
    const bin = a.fundamental ? Math.round(a.fundamental.hz / binHz) : -1;
    if (bin >= Math.ceil(range.lowHz / binHz) && bin <= Math.floor(range.highHz / binHz)) return a;
    return assess(spec, { slip });
  });
  const order = BEARING_FAULTS.map((_, i) => i).sort((i, j) => {
    const cage =
      Number(!!BEARING_FAULTS[i]!.needsCorroboration) - Number(!!BEARING_FAULTS[j]!.needsCorroboration);
    return cage !== 0 ? cage : fitOf(constrained[j]!) - fitOf(constrained[i]!);
  });

  const ftfHz = multiples.ftf * shaftHz * (1 + (slip?.deviation ?? 0));
  const explained = new ExplainedLines(binHz);
  const assessments: BearingAssessment[] = new Array(BEARING_FAULTS.length);
  const confidences: number[] = new Array(BEARING_FAULTS.length).fill(0);
  for (const i of order) {
    const spec = BEARING_FAULTS[i]!;
    const isReference = free[i] === reference?.assessment;
    const prior = constrained[i]!;
    // Attribution only takes lines away: unless a reported family explains one of them, it changes nothing.
    const touched = prior.lines.some((l) => l.found && explained.explain(l.hz) !== undefined);
    const a = touched ? assess(spec, { ...(slip && !isReference ? { slip } : {}), explained }) : prior;
    if (slip) {
      a.slip = slip;
      a.setsSlip = isReference;
    }
    if (spec.needsCorroboration) {
      const races = assessments.filter((r, k) => r && BEARING_FAULTS[k]!.race && confidences[k]! > 0);
      cageModulationOfRaces(a, races, ftfHz, finder, binHz);
    }
    assessments[i] = a;
    confidences[i] = confidenceOf(spec, a);
    if (confidences[i]! > 0) claimLines(explained, spec, a, shaftHz, ftfHz);
  }

  const findings: Finding[] = [];
  for (const [i, a] of assessments.entries()) {
    const confidence = confidences[i]!;
    if (confidence === 0 || !a.fundamental) continue;
    findings.push({
      fault: a.fault,
      confidence,
      frequencyHz: round(a.fundamental.hz, 5),
      harmonics: a.harmonics,
      evidence: {
        spectrum: 'envelope',
        method: ENVELOPE_METHOD,
        band: { lowHz: round(spectra.envelopeBand.lowHz, 5), highHz: round(spectra.envelopeBand.highHz, 5) },
        peakAmplitude: round(a.fundamental.amplitude, 4),
        noiseFloor: round(a.fundamental.noiseFloor, 4),
        snr: round(a.fundamental.snr),
        unit: 'relative to the mean squared envelope',
        lines: a.lines,
        reasoning: reasoningOf(a),
      },
    });
  }
  return { findings, assessments };
}

function reasoningOf(a: BearingAssessment): string[] {
  const f = a.fundamental!;
  const offset = ((f.hz / f.expectedHz - 1) * 100).toFixed(1);
  const steps = [
    `envelope line at ${f.hz.toFixed(1)} Hz is ${f.snr.toFixed(1)}× its local noise floor, ${offset}% from ${a.label} (${f.expectedHz.toFixed(1)} Hz)`,
  ];
  if (a.slip && a.setsSlip)
    steps.push(
      `this line sets the bearing's slip (${percent(a.slip.deviation)}) at which the other families are searched`,
    );
  else if (a.slip)
    steps.push(
      `searched at the bearing's slip ${percent(a.slip.deviation)}, measured on ${a.slip.measuredOn}`,
    );
  const described: [LineEvidence['role'], string][] = [
    ['harmonic', 'harmonics'],
    ['sideband', 'sidebands'],
    ['modulation', 'modulating rotation'],
  ];
  for (const [role, heading] of described) {
    const found = a.lines.filter((l) => l.found && l.role === role);
    if (found.length > 0)
      steps.push(`${heading} found: ${found.map((l) => `${l.label} (${l.snr}×)`).join(', ')}`);
  }
  if (a.explainedAway.length > 0)
    steps.push(`not counted, explained by a better-fitting family: ${a.explainedAway.join('; ')}`);
  return steps;
}
