import type { Fault, Finding, LineEvidence } from '../../shared/schema/index.js';
import type { DefectMultiples } from '../../shared/bearings.js';
import type { AveragedSpectra } from './spectra-accumulator.js';
import { LineFinder, lineEvidence, type SpectralLine } from './spectral-lines.js';

/**
 * Observed defect lines sit below the kinematic values because the rolling elements slip (1–3 %,
 * Randall & Antoni 2011); a line a little above is still plausible from speed measurement error.
 */
export const SLIP_BELOW = 0.035;
export const SLIP_ABOVE = 0.015;
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
  /** Supporting lines needed besides the fundamental (cage-rate lines also come from healthy load zones). */
  minimumSupport?: number;
  /** Lines of the modulating rotation itself, which the envelope shows beside the defect's. */
  modulationLines?: (m: DefectMultiples) => { label: string; multiple: number }[];
}

/**
 * Inner-race defects rotate with the shaft through the load zone: sidebands at ±1× shaft. Rolling
 * elements strike both races once per spin (2×BSF) and orbit with the cage: sidebands at ±FTF.
 */
export const BEARING_FAULTS: readonly BearingFaultSpec[] = [
  { fault: 'outer_race', label: 'BPFO', multiple: (m) => m.bpfo },
  {
    fault: 'inner_race',
    label: 'BPFI',
    multiple: (m) => m.bpfi,
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
    modulationLines: (m) => [
      { label: 'FTF', multiple: m.ftf },
      { label: '2×FTF', multiple: 2 * m.ftf },
    ],
  },
  { fault: 'cage', label: 'FTF', multiple: (m) => m.ftf, minimumSupport: 2 },
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
}

const round = (value: number, digits = 3) => Number(value.toPrecision(digits));

/** The envelope spectrum's evidence for one fault: its fundamental, harmonics and sidebands. */
export function assessBearingFault(
  spec: BearingFaultSpec,
  multiples: DefectMultiples,
  shaftHz: number,
  finder: LineFinder,
  binHz: number,
): BearingAssessment {
  const expectedHz = spec.multiple(multiples) * shaftHz;
  const fundamental = finder.find(expectedHz, {
    lowHz: expectedHz * (1 - SLIP_BELOW) - binHz,
    highHz: expectedHz * (1 + SLIP_ABOVE) + binHz,
  });
  const lines: LineEvidence[] = [
    lineEvidence(spec.label, 'fundamental', fundamental, expectedHz, FUNDAMENTAL_SNR),
  ];
  let score = 0;
  let harmonics = 0;
  let sidebands = 0;
  let modulation = 0;
  if (fundamental && fundamental.snr >= FUNDAMENTAL_SNR) {
    score += Math.log(fundamental.snr);
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
      if (line && evidence.found) {
        harmonics++;
        score += 0.6 * Math.log(line.snr);
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
        if (line && evidence.found) {
          sidebands++;
          score += 0.4 * Math.log(line.snr);
        }
      }
    }
    for (const modulating of spec.modulationLines?.(multiples) ?? []) {
      const hz = modulating.multiple * shaftHz;
      const tolerance = 1.5 * binHz + 0.02 * hz;
      const line = finder.find(hz, { lowHz: hz - tolerance, highHz: hz + tolerance });
      const evidence = lineEvidence(modulating.label, 'modulation', line, hz, SUPPORTING_SNR);
      lines.push(evidence);
      if (line && evidence.found) {
        modulation++;
        score += 0.4 * Math.log(line.snr);
      }
    }
  }
  return {
    fault: spec.fault,
    label: spec.label,
    fundamental,
    lines,
    harmonics,
    sidebands,
    modulation,
    score,
  };
}

function confidenceOf(spec: BearingFaultSpec, a: BearingAssessment): number {
  const support = a.harmonics + a.sidebands + a.modulation;
  const enough =
    support >= (spec.minimumSupport ?? 1) ||
    (!spec.minimumSupport && (a.fundamental?.snr ?? 0) >= STRONG_FUNDAMENTAL_SNR);
  if (!enough || a.score < REPORT_SCORE) return 0;
  return round(1 - Math.exp(-(a.score - REPORT_SCORE + 0.5) / CONFIDENCE_SCALE), 3);
}

/** Bearing findings from the averaged envelope spectrum, strongest evidence first. */
export function bearingFindings(
  spectra: AveragedSpectra,
  multiples: DefectMultiples,
  shaftHz: number,
): { findings: Finding[]; assessments: BearingAssessment[] } {
  const finder = new LineFinder(spectra.envelope, spectra.binHz, ENVELOPE_FIRST_LINE_BIN - 1, 2);
  const assessments = BEARING_FAULTS.map((spec) =>
    assessBearingFault(spec, multiples, shaftHz, finder, spectra.binHz),
  );
  const findings: Finding[] = [];
  for (const [i, a] of assessments.entries()) {
    const confidence = confidenceOf(BEARING_FAULTS[i]!, a);
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
  return steps;
}
