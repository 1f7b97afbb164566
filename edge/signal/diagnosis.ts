import type {
  AccelerationUnit,
  DiagnosisStatus,
  Finding,
  SpectrumMark,
  SpectrumSnapshot,
} from '../../shared/schema/index.js';
import {
  BEARING_FAULTS,
  bearingFindings,
  ENVELOPE_FIRST_LINE_BIN,
  HARMONICS_SEARCHED,
  SLIP_ABOVE,
} from './bearing-diagnosis.js';
import type { DefectMultiples } from '../../shared/bearings.js';
import { decimateSpectrum, SNAPSHOT_POINTS, VELOCITY_BAND_HZ } from './features.js';
import { largestPowerOfTwoAtMost, smallestPowerOfTwoAtLeast } from './fft.js';
import {
  DEFAULT_MACHINE_CLASS,
  isoZone,
  type IsoZone,
  type MachineClass,
  ZONE_TABLE_VERSION,
} from './iso-20816.js';
import { bandEvidence, candidateBands, chooseBand } from './band-selection.js';
import {
  FEATURE_ORDER,
  judgesRunningSpeedFaults,
  runningSpeedFindings,
  runningSpeedLines,
  runningSpeedReachHz,
  velocitySpectrumMmS,
} from './running-speed-diagnosis.js';
import { type AveragedSpectra, type FrequencyBand, SpectraAccumulator } from './spectra-accumulator.js';
import {
  estimateShaftSpeed,
  type SpeedEstimate,
  type SpeedSearch,
  type SpeedSource,
  speedEstimateReachHz,
} from './speed-estimate.js';
import { MomentSums, momentsOf } from './spectrum-kernels.js';
import type { TimeDomainStats } from './time-domain.js';
import { roundToSignificant } from './significant.js';
import { refuseNonFinite } from './non-finite-sample.js';

/** The analysis refuses rather than guesses: the message says what is missing and what would do. */
export class DiagnosisError extends Error {
  override name = 'DiagnosisError';
}

/** A shaft speed known only within limits, e.g. a motor's no-load and full-load speeds. */
export interface RpmRange {
  min: number;
  max: number;
}

export interface DiagnosisOptions {
  sampleRateHz: number;
  /** The shaft speed as given (nameplate, tachometer, asset); refined from the signal within rpmTolerance. */
  rpm?: number;
  /** Where the speed lies when no rpm is given (or, with rpm, where to look for the true one). */
  rpmRange?: RpmRange;
  /**
   * Relative half-width of the search around `rpm` for the shaft's own harmonics; 0 uses `rpm` as
   * given. Default DEFAULT_RPM_TOLERANCE.
   */
  rpmTolerance?: number;
  unit: AccelerationUnit;
  /** Defect multiples of shaft speed; without them only running-speed faults are assessed. */
  bearing?: DefectMultiples;
  /** Samples per analysis window (a power of two); chosen from the record and the lines when absent. */
  windowSize?: number;
  machineClass?: MachineClass;
}

export interface DiagnosisPlan {
  sampleRateHz: number;
  /** The speed used when the signal shows no clear shaft harmonics: the given rpm or the range's centre. */
  shaftHz: number;
  /** Where the shaft speed is looked for in the spectrum (lowHz = highHz: no search). */
  speedSearch: SpeedSearch;
  unit: AccelerationUnit;
  bearing?: DefectMultiples;
  machineClass: MachineClass;
  windowSize: number;
  /** The full carrier band (the fixed band of earlier versions): always the first candidate. */
  envelopeBand: FrequencyBand;
  /**
   * Highest envelope frequency the findings read (0 without a bearing: no envelope is computed).
   * Absent: the whole envelope spectrum the band allows.
   */
  envelopeMaxHz?: number;
  /** Carrier bands compared on their envelope spectra's evidence, the full band first. */
  candidateBands: FrequencyBand[];
  /**
   * Highest signal-spectrum frequency anything reads (velocity band and snapshot, running-speed
   * lines, speed estimate). Absent: the whole spectrum.
   */
  spectrumMaxHz?: number;
}

/**
 * Induction motors run 1–4 % below synchronous speed and nameplates state full load: searching ±4 %
 * around a given rpm covers both without reaching a sub- or super-harmonic of 1×.
 */
export const DEFAULT_RPM_TOLERANCE = 0.04;

/** Frequency resolution the default window aims at, relative to the lowest defect line. */
const TARGET_RESOLUTION = 0.005;
/** Coarsest resolution accepted: 20 bins up to the lowest defect line, 4 bins up to 1×. */
const COARSEST_RESOLUTION = 0.05;

/** The highest envelope line looked for: the top harmonic of the fastest defect plus a sideband. */
function highestEnvelopeLineHz(bearing: DefectMultiples, shaftHz: number): number {
  const fastest = Math.max(...BEARING_FAULTS.map((f) => f.multiple(bearing)));
  return (HARMONICS_SEARCHED * fastest * (1 + SLIP_ABOVE) + 1) * shaftHz;
}

/**
 * Twice the highest line looked for: room for the ±50 % neighbourhood of each line's noise floor,
 * and for a shaft speed refined a few per cent above the nominal one.
 */
function envelopeMaxHzFor(bearing: DefectMultiples | undefined, shaftHz: number): number {
  return bearing ? 2 * highestEnvelopeLineHz(bearing, shaftHz) : 0;
}

function lowestDefectLineHz(bearing: DefectMultiples, shaftHz: number): number {
  return Math.min(bearing.bpfo, bearing.bpfi, 2 * bearing.bsf) * shaftHz;
}

/**
 * The carrier band for the envelope starts at twice the highest line looked for, so that neither
 * the lines themselves nor the shaft harmonics below them are mistaken for the carrier, and stops
 * short of the anti-alias filter's roll-off.
 */
export function envelopeBandFor(
  sampleRateHz: number,
  bearing: DefectMultiples | undefined,
  shaftHz: number,
): FrequencyBand {
  const nyquist = sampleRateHz / 2;
  const highHz = 0.9 * nyquist;
  if (!bearing) return { lowHz: Math.min(0.1 * nyquist, 1000), highHz };
  const highestLine = highestEnvelopeLineHz(bearing, shaftHz);
  const lowHz = 2 * highestLine;
  if (highHz - lowHz < 2 * highestLine) {
    const needed = Math.ceil((8 * highestLine) / 0.9 / 100) * 100;
    throw new DiagnosisError(
      `sample rate ${sampleRateHz} Hz is too low for envelope analysis at ${(shaftHz * 60).toFixed(0)} rpm: ` +
        `the defect lines reach ${highestLine.toFixed(0)} Hz, so the carrier band must lie between ` +
        `${lowHz.toFixed(0)} Hz and the Nyquist frequency with room to spare; record at ${needed} Hz or more`,
    );
  }
  return { lowHz, highHz };
}

/**
 * Welch averaging gains nothing beyond 75 % overlap (Welch 1967; Hann: two windows a quarter apart
 * already correlate at 0.4): a second window starting less than a quarter window after the first
 * repeats it, and the "average" stays one periodogram, χ² with 2 degrees of freedom, where one bin
 * in eight stands 3× above its median by chance.
 */
const MAX_WELCH_OVERLAP = 0.75;

/**
 * The longest power-of-two window the record averages over: the whole record when it is exactly
 * one window (a streamed waveform, analysed as one window by design), otherwise one whose last,
 * flush window starts at least (1 − MAX_WELCH_OVERLAP) of a window after the first. Without this a
 * 3-s record at 97,656 Hz (292,968 samples) got two windows of 262,144 overlapping by 88 %: one
 * periodogram, and healthy records showed defect "lines" in one of the many candidate bands.
 */
function longestAveragedWindow(recordLength: number): number {
  const longest = largestPowerOfTwoAtMost(recordLength);
  if (longest === recordLength) return longest;
  return recordLength >= longest * (2 - MAX_WELCH_OVERLAP) ? longest : longest / 2;
}

/** The speed search from the options: around the given rpm, or over the range; refuses what is no speed. */
export function speedSearchFor(options: DiagnosisOptions): SpeedSearch {
  const { rpm, rpmRange } = options;
  const tolerance = options.rpmTolerance ?? DEFAULT_RPM_TOLERANCE;
  if (rpm === undefined && rpmRange === undefined)
    throw new DiagnosisError(
      'shaft speed must be given: an rpm (e.g. 1773) or a range it lies in (e.g. 1700-1800)',
    );
  if (rpm !== undefined && (!(rpm > 0) || !Number.isFinite(rpm)))
    throw new DiagnosisError(`shaft speed must be a positive number of rpm, got ${rpm}`);
  if (!(tolerance >= 0 && tolerance < 0.5))
    throw new DiagnosisError(
      `rpm tolerance must be a fraction from 0 to 0.5 (0.04 = ±4 %), got ${tolerance}`,
    );
  if (rpmRange !== undefined) {
    const { min, max } = rpmRange;
    if (!(min > 0) || !Number.isFinite(min) || !(max >= min) || !Number.isFinite(max))
      throw new DiagnosisError(
        `rpm range must be two positive speeds, the lower first (e.g. 1700-1800), got ${min}-${max}`,
      );
    if (rpm !== undefined && (rpm < min || rpm > max))
      throw new DiagnosisError(`shaft speed ${rpm} rpm lies outside the rpm range ${min}-${max}`);
    return { lowHz: min / 60, highHz: max / 60, ...(rpm !== undefined ? { givenHz: rpm / 60 } : {}) };
  }
  const givenHz = rpm! / 60;
  return { lowHz: givenHz * (1 - tolerance), highHz: givenHz * (1 + tolerance), givenHz };
}

/** Chooses (or checks) the window size, and refuses records too short to resolve the lines. */
export function planDiagnosis(recordLength: number, options: DiagnosisOptions): DiagnosisPlan {
  const { sampleRateHz, bearing } = options;
  if (!(sampleRateHz > 0) || !Number.isFinite(sampleRateHz))
    throw new DiagnosisError(`sample rate must be a positive number of Hz, got ${sampleRateHz}`);
  const speedSearch = speedSearchFor(options);
  const shaftHz = speedSearch.givenHz ?? (speedSearch.lowHz + speedSearch.highHz) / 2;
  // The band must suit the fastest speed searched, the window the slowest.
  const fastestHz = speedSearch.highHz;
  const slowestHz = speedSearch.lowHz;
  if (fastestHz >= sampleRateHz / 8)
    throw new DiagnosisError(
      `sample rate ${sampleRateHz} Hz is too low for a shaft at ${(fastestHz * 60).toFixed(0)} rpm: it needs at least ${Math.ceil(fastestHz * 8)} Hz`,
    );
  const envelopeBand = envelopeBandFor(sampleRateHz, bearing, fastestHz);

  const coarsestBinHz = Math.min(
    slowestHz / 4,
    bearing ? COARSEST_RESOLUTION * lowestDefectLineHz(bearing, slowestHz) : Infinity,
  );
  const minimumWindow = smallestPowerOfTwoAtLeast(sampleRateHz / coarsestBinHz);
  const durationS = (n: number) => `${(n / sampleRateHz).toFixed(2)} s`;
  if (recordLength < minimumWindow) {
    throw new DiagnosisError(
      `record too short: ${recordLength} samples (${durationS(recordLength)}) at ${sampleRateHz} Hz; resolving ` +
        `${bearing ? 'the bearing defect lines' : 'the running-speed orders'} needs at least ${minimumWindow} samples (${durationS(minimumWindow)})`,
    );
  }
  let windowSize = options.windowSize;
  if (windowSize === undefined) {
    const targetBinHz = bearing ? TARGET_RESOLUTION * lowestDefectLineHz(bearing, slowestHz) : slowestHz / 20;
    windowSize = Math.max(
      minimumWindow,
      Math.min(longestAveragedWindow(recordLength), smallestPowerOfTwoAtLeast(sampleRateHz / targetBinHz)),
    );
  } else if (windowSize < minimumWindow) {
    throw new DiagnosisError(
      `window of ${windowSize} samples is too short: at ${sampleRateHz} Hz the lines need at least ${minimumWindow}`,
    );
  } else if (windowSize > recordLength) {
    throw new DiagnosisError(
      `window of ${windowSize} samples is longer than the record (${recordLength} samples)`,
    );
  }
  return {
    sampleRateHz,
    shaftHz,
    speedSearch,
    unit: options.unit,
    ...(bearing ? { bearing } : {}),
    machineClass: options.machineClass ?? DEFAULT_MACHINE_CLASS,
    windowSize,
    envelopeBand,
    envelopeMaxHz: envelopeMaxHzFor(bearing, fastestHz),
    candidateBands: bearing
      ? candidateBands(envelopeBand, highestEnvelopeLineHz(bearing, fastestHz))
      : [envelopeBand],
    spectrumMaxHz: spectrumMaxHzFor(speedSearch, sampleRateHz / windowSize),
  };
}

/**
 * The signal spectrum is read up to the velocity band's top (ISO level, snapshot) or as far as the
 * running-speed lines and the speed estimate reach at the fastest speed searched (an estimate may
 * lie a bin above it), whichever is higher: at common rates a tenth of the spectrum or less.
 */
function spectrumMaxHzFor(speedSearch: SpeedSearch, binHz: number): number {
  return Math.max(
    VELOCITY_BAND_HZ.high + binHz,
    runningSpeedReachHz(speedSearch.highHz + binHz, binHz),
    speedEstimateReachHz(speedSearch, binHz),
  );
}

/** Window starts with 50 % overlap, the last window flush with the record's end so no tail is lost. */
export function windowStarts(recordLength: number, windowSize: number): number[] {
  const step = windowSize / 2;
  const starts: number[] = [];
  for (let start = 0; start + windowSize <= recordLength; start += step) starts.push(start);
  const last = recordLength - windowSize;
  if (starts[starts.length - 1] !== last) starts.push(last);
  return starts;
}

/** The shaft speed the defect frequencies were computed from, and how it was obtained. */
export interface SpeedUsed {
  /** The rpm given, when one was. */
  nominalRpm?: number;
  usedRpm: number;
  source: SpeedSource;
  /** Shaft lines (1× and its harmonics) that confirmed the speed used; 0 when none were looked at or found. */
  harmonics: number;
  /** Where the speed was searched, in rpm (absent when the given rpm was used without a search). */
  searchedRange?: RpmRange;
}

export interface DiagnosisFeatures extends TimeDomainStats {
  sampleRateHz: number;
  samples: number;
  /** The shaft frequency used: the estimated one when the spectrum showed it clearly. */
  shaftHz: number;
  speed: SpeedUsed;
  windowSize: number;
  windows: number;
  binHz: number;
  velocityRmsMmS: number;
  isoZone: IsoZone;
  machineClass: MachineClass;
  zoneTable: string;
  /** RMS velocity of the 1×, 2× and 3× lines, mm/s (0 where no line stands out). */
  runningSpeedMmS: { '1x': number; '2x': number; '3x': number };
  /** Envelope line strength (× local noise floor) at each defect frequency. */
  envelope?: {
    band: FrequencyBand;
    lines: Record<string, { expectedHz: number; hz: number; snr: number }>;
  };
}

export interface Diagnosis {
  status: DiagnosisStatus;
  findings: Finding[];
  features: DiagnosisFeatures;
}

/** Decimated spectra to plot beside the findings (velocity to 1000 Hz; envelope to its last line). */
export interface DiagnosisSnapshots {
  velocity: SpectrumSnapshot;
  envelope?: SpectrumSnapshot;
}

export interface RecordDiagnosis extends Diagnosis {
  snapshots: DiagnosisSnapshots;
}

/** Findings at or above this confidence raise an alarm rather than a watch. */
export const ALARM_CONFIDENCE = 0.6;

const round = (value: number, digits = 4) => roundToSignificant(value, digits);

function bandVelocityRms(velocity: Float64Array, binHz: number): number {
  // velocity holds per-bin line amplitudes (RMS); the Hann energy/amplitude ratio (1.5) turns their
  // squares into the band's mean square.
  const first = Math.max(1, Math.ceil(VELOCITY_BAND_HZ.low / binHz));
  const last = Math.min(velocity.length - 1, Math.floor(VELOCITY_BAND_HZ.high / binHz));
  let sum = 0;
  for (let k = first; k <= last; k++) sum += velocity[k]! * velocity[k]!;
  return Math.sqrt(sum / 1.5);
}

/** The speed a plan assumes before the signal is looked at. */
export function plannedSpeed(plan: DiagnosisPlan): SpeedEstimate {
  return {
    shaftHz: plan.shaftHz,
    source: plan.speedSearch.givenHz === undefined ? 'range-centre' : 'given',
    harmonics: 0,
  };
}

/** A plan's given rpm and searched range, rounded once: the same for every waveform it analyses. */
interface PlannedRpms {
  nominalRpm?: number;
  searchedRange?: RpmRange;
}
const plannedRpmsBySearch = new WeakMap<SpeedSearch, PlannedRpms>();

function plannedRpms(search: SpeedSearch): PlannedRpms {
  let rpms = plannedRpmsBySearch.get(search);
  if (!rpms) {
    const { lowHz, highHz, givenHz } = search;
    rpms = {
      ...(givenHz !== undefined ? { nominalRpm: round(givenHz * 60, 6) } : {}),
      ...(highHz > lowHz ? { searchedRange: { min: round(lowHz * 60, 5), max: round(highHz * 60, 5) } } : {}),
    };
    plannedRpmsBySearch.set(search, rpms);
  }
  return rpms;
}

function speedUsed(plan: DiagnosisPlan, speed: SpeedEstimate): SpeedUsed {
  const { nominalRpm, searchedRange } = plannedRpms(plan.speedSearch);
  // Built without object spreads (this runs for every window): the same keys in the same order.
  const usedRpm = round(speed.shaftHz * 60, 5);
  const used: SpeedUsed =
    nominalRpm !== undefined
      ? { nominalRpm, usedRpm, source: speed.source, harmonics: speed.harmonics }
      : { usedRpm, source: speed.source, harmonics: speed.harmonics };
  if (searchedRange) used.searchedRange = { min: searchedRange.min, max: searchedRange.max };
  return used;
}

/** Features and findings from the averaged spectra of a record or of a single window. */
export function diagnoseSpectra(
  spectra: AveragedSpectra,
  planned: DiagnosisPlan,
  stats: TimeDomainStats,
  samples: number,
  speed: SpeedEstimate = plannedSpeed(planned),
): Diagnosis {
  const plan = { ...planned, shaftHz: speed.shaftHz };
  const velocity = velocitySpectrumMmS(spectra, plan.unit);
  const velocityRmsMmS = bandVelocityRms(velocity, spectra.binHz);
  const zone = isoZone(velocityRmsMmS, plan.machineClass);
  // Most machines are in zone A or B, where only the feature orders can change the answer.
  const lines = judgesRunningSpeedFaults(zone)
    ? runningSpeedLines(velocity, spectra.binHz, plan.shaftHz, undefined, true)
    : runningSpeedLines(velocity, spectra.binHz, plan.shaftHz, FEATURE_ORDER, true);
  const findings: Finding[] = runningSpeedFindings(
    lines,
    velocityRmsMmS,
    zone,
    plan.machineClass,
    plan.shaftHz,
  );

  const features: DiagnosisFeatures = {
    sampleRateHz: plan.sampleRateHz,
    samples,
    shaftHz: round(plan.shaftHz, 6),
    speed: speedUsed(planned, speed),
    windowSize: spectra.windowSize,
    windows: spectra.windows,
    binHz: round(spectra.binHz),
    rms: round(stats.rms),
    peak: round(stats.peak),
    crestFactor: round(stats.crestFactor),
    kurtosis: round(stats.kurtosis),
    velocityRmsMmS: round(velocityRmsMmS),
    isoZone: zone,
    machineClass: plan.machineClass,
    zoneTable: ZONE_TABLE_VERSION,
    runningSpeedMmS: {
      '1x': round(lines.velocityMmS.get(1) ?? 0),
      '2x': round(lines.velocityMmS.get(2) ?? 0),
      '3x': round(lines.velocityMmS.get(3) ?? 0),
    },
  };
  if (plan.bearing) {
    const bearing = bearingFindings(spectra, plan.bearing, plan.shaftHz);
    findings.push(...bearing.findings);
    features.envelope = {
      band: { lowHz: round(spectra.envelopeBand.lowHz, 5), highHz: round(spectra.envelopeBand.highHz, 5) },
      lines: Object.fromEntries(
        bearing.assessments.map((a) => {
          const line = a.lines[0]!;
          return [a.label, { expectedHz: line.expectedHz, hz: line.hz, snr: line.snr }];
        }),
      ),
    };
  }
  discountRunningSpeedBesideBearingDefect(findings);
  findings.sort((a, b) => b.confidence - a.confidence);
  return { status: statusOf(findings, zone), findings, features };
}

/** Snapshots cost more than the findings: made only for a report or a ticket, not for every window. */
export function diagnosisSnapshots(
  spectra: AveragedSpectra,
  planned: DiagnosisPlan,
  shaftHz = planned.shaftHz,
): DiagnosisSnapshots {
  const plan = { ...planned, shaftHz };
  const velocity = velocitySpectrumMmS(spectra, plan.unit).slice();
  // Integration divides each bin by its frequency, so a DC offset or slow drift of the sensor turns
  // into a wall of "velocity" at the first bins, taller than the machine's lines. The band RMS leaves
  // those bins out (bandVelocityRms); the plot does too, or the artefact sets its scale.
  velocity.fill(0, 0, Math.min(velocity.length, Math.ceil(velocityLowCutHz(plan.shaftHz) / spectra.binHz)));
  const snapshots: DiagnosisSnapshots = {
    velocity: {
      ...snapshotUpTo(velocity, spectra.binHz, VELOCITY_BAND_HZ.high, 'mm/s'),
      marks: [1, 2, 3].map((order) => ({ label: `${order}×`, hz: round(order * plan.shaftHz, 6) })),
    },
  };
  if (plan.bearing) {
    const maxHz = highestEnvelopeLineHz(plan.bearing, plan.shaftHz);
    // The lowest bins hold the window's own leakage, not modulation: blank them so the plot scales to the lines.
    const envelope = spectra.envelope.slice();
    envelope.fill(0, 0, ENVELOPE_FIRST_LINE_BIN);
    snapshots.envelope = {
      ...snapshotUpTo(envelope, spectra.binHz, maxHz, 'relative'),
      marks: defectMarks(plan.bearing, plan.shaftHz, maxHz),
    };
  }
  return snapshots;
}

/**
 * Where the velocity snapshot starts: the ISO 20816 band's low edge (10 Hz), or half the shaft rate
 * on a machine slower than 1200 rpm, so that its 1× (and a 0.5× of looseness) is still plotted.
 */
export const velocityLowCutHz = (shaftHz: number): number => Math.min(VELOCITY_BAND_HZ.low, 0.5 * shaftHz);

/** The fundamental of each defect where the plot should mark it (no slip: the kinematic value). */
/** Race defects show as a harmonic series: their second line is marked too (`2×BPFO`), as far as the snapshot reaches. */
function defectMarks(bearing: DefectMultiples, shaftHz: number, maxHz: number): SpectrumMark[] {
  const fundamentals = BEARING_FAULTS.map((spec) => ({
    label: spec.label,
    hz: round(spec.multiple(bearing) * shaftHz, 6),
  }));
  const harmonics = BEARING_FAULTS.filter((spec) => spec.race)
    .map((spec) => ({ label: `2×${spec.label}`, hz: round(2 * spec.multiple(bearing) * shaftHz, 6) }))
    .filter((mark) => mark.hz <= maxHz);
  return [...fundamentals, ...harmonics];
}

function snapshotUpTo(spectrum: Float64Array, binHz: number, maxHz: number, unit: string): SpectrumSnapshot {
  const bins = Math.min(spectrum.length, Math.ceil(maxHz / binHz) + 1);
  return { ...decimateSpectrum(spectrum.subarray(0, bins), binHz, SNAPSHOT_POINTS), unit };
}

const RUNNING_SPEED_FAULTS = new Set(['unbalance', 'misalignment', 'looseness']);

/**
 * A failing bearing's impacts raise broadband vibration and a train of shaft harmonics, which
 * mimics looseness and misalignment: with clear bearing evidence those readings count for less.
 */
function discountRunningSpeedBesideBearingDefect(findings: Finding[]): void {
  const bearing = findings.find(
    (f) => !RUNNING_SPEED_FAULTS.has(f.fault) && f.confidence >= ALARM_CONFIDENCE,
  );
  if (!bearing) return;
  for (const finding of findings) {
    if (!RUNNING_SPEED_FAULTS.has(finding.fault)) continue;
    finding.confidence = round(finding.confidence * 0.6, 3);
    finding.evidence.reasoning.push(
      `confidence reduced: a ${bearing.fault.replace('_', ' ')} defect (confidence ${bearing.confidence}) also raises shaft harmonics`,
    );
  }
}

function statusOf(findings: Finding[], zone: IsoZone): DiagnosisStatus {
  if (zone === 'D' || findings.some((f) => f.confidence >= ALARM_CONFIDENCE)) return 'alarm';
  if (zone === 'C' || findings.length > 0) return 'watch';
  return 'healthy';
}

/** A constant signal is not a machine running smoothly but a sensor, cable or input that is dead. */
function flatSignal(plan: DiagnosisPlan, stats: TimeDomainStats, samples: number): Diagnosis {
  const finding: Finding = {
    fault: 'sensor_fault',
    confidence: 1,
    frequencyHz: 0,
    harmonics: 0,
    evidence: {
      spectrum: 'time',
      method: 'time-domain check',
      peakAmplitude: 0,
      noiseFloor: 0,
      snr: 0,
      unit: plan.unit,
      lines: [],
      reasoning: [`all ${samples} samples are equal: check the sensor, its cable and the input channel`],
    },
  };
  const features: DiagnosisFeatures = {
    sampleRateHz: plan.sampleRateHz,
    samples,
    shaftHz: round(plan.shaftHz, 6),
    speed: speedUsed(plan, plannedSpeed(plan)),
    windowSize: plan.windowSize,
    windows: 0,
    binHz: round(plan.sampleRateHz / plan.windowSize),
    ...stats,
    velocityRmsMmS: 0,
    isoZone: 'A',
    machineClass: plan.machineClass,
    zoneTable: ZONE_TABLE_VERSION,
    runningSpeedMmS: { '1x': 0, '2x': 0, '3x': 0 },
  };
  return { status: 'alarm', findings: [finding], features };
}

/** Offline diagnosis of a whole single-channel record: Welch averages over all its windows. */
export function diagnoseRecord(
  samples: Float32Array | Float64Array,
  options: DiagnosisOptions,
): RecordDiagnosis {
  const diagnoser = new WindowDiagnoser(planDiagnosis(samples.length, options));
  const diagnosis = diagnoser.analyse(samples);
  const flat = diagnosis.features.windows === 0;
  return { ...diagnosis, snapshots: flat ? NO_SNAPSHOTS : diagnoser.snapshots() };
}

const NO_SNAPSHOTS: DiagnosisSnapshots = { velocity: { binHz: 1, unit: 'mm/s', amplitudes: [] } };

/**
 * The streaming diagnoser compares the candidate carrier bands on its first waveform and then on
 * every this-many-th one, and demodulates the waveforms between with the band last chosen: a
 * resonance belongs to the machine and changes slowly, and comparing costs a few envelopes.
 */
export const BAND_RESELECTION_INTERVAL = 64;

/**
 * Step between the speeds tried across an rpm range when the spectrum shows no shaft harmonics:
 * the defect-line search spans −3.5 %…+1.5 % (5 %), so 2 % steps leave no speed unsearched.
 */
const RANGE_SPEED_STEP = 0.02;

/** Two fundamentals closer than this many bins are one line (an interpolated peak is good to half a bin). */
const SAME_LINE_BINS = 1.5;

/** A speed found on the envelope needs a defect family's fundamental and both its harmonics. */
const ENVELOPE_SPEED_LINES = 3;

/** Speeds across the searched range, RANGE_SPEED_STEP apart, both ends included. */
function speedsAcross(search: SpeedSearch): number[] {
  const steps = Math.max(
    1,
    Math.ceil(Math.log(search.highHz / search.lowHz) / Math.log(1 + RANGE_SPEED_STEP)),
  );
  const ratio = (search.highHz / search.lowHz) ** (1 / steps);
  return Array.from({ length: steps + 1 }, (_, i) => search.lowHz * ratio ** i);
}

/**
 * The streaming form: one waveform in, its diagnosis out, reusing every buffer between waveforms.
 * A waveform longer than the plan's window is averaged over overlapping windows, like a record.
 * This is what runs per waveform at the edge and what `plantwatch bench` measures as "analysis".
 *
 * Per waveform: the shaft speed is estimated from the spectrum's own harmonics (within the plan's
 * search), and, on the first waveform and every BAND_RESELECTION_INTERVAL-th after it, the carrier
 * band is chosen among the plan's candidates by the defect evidence in each band's envelope
 * spectrum at that speed. An offline record is one waveform, so it always gets the full comparison.
 * When only an rpm range is known and the spectrum shows no shaft harmonics (a belt drive, a quiet
 * shaft), the speeds across the range are tried on the envelope instead, and the one whose defect
 * family stands out most is used (source `envelope`).
 */
export class WindowDiagnoser {
  private readonly accumulator: SpectraAccumulator;
  private readonly moments = new MomentSums();
  private analyses = 0;
  private lastSpeed: SpeedEstimate;
  /** What the last waveform's findings were made from, beside the accumulator's spectra (see findings). */
  private last: { stats: TimeDomainStats; samples: number } | undefined;

  constructor(readonly plan: DiagnosisPlan) {
    this.accumulator = new SpectraAccumulator(
      plan.windowSize,
      plan.sampleRateHz,
      plan.envelopeBand,
      plan.envelopeMaxHz,
      plan.candidateBands.slice(1),
      plan.spectrumMaxHz,
    );
    this.lastSpeed = plannedSpeed(plan);
  }

  analyse(samples: Float32Array | Float64Array): Diagnosis {
    if (samples.length < this.plan.windowSize) {
      throw new DiagnosisError(
        `waveform has ${samples.length} samples; this diagnoser needs at least ${this.plan.windowSize}`,
      );
    }
    const selecting = this.analyses % BAND_RESELECTION_INTERVAL === 0;
    this.accumulator.reset();
    this.accumulator.evaluateCandidates(selecting);
    let stats: TimeDomainStats;
    if (samples.length === this.plan.windowSize) {
      // One window, the streaming case: its statistics come from the same pass as its windowing.
      this.accumulator.addMeasuredWindow(samples, this.moments);
      stats = this.moments.stats();
      refuseNonFinite(samples, stats.rms, stats.peak);
    } else {
      momentsOf(samples, this.moments);
      stats = this.moments.stats();
      refuseNonFinite(samples, stats.rms, stats.peak);
      if (stats.rms !== 0) {
        for (const start of windowStarts(samples.length, this.plan.windowSize))
          this.accumulator.addWindow(samples, start);
      }
    }
    this.last = { stats, samples: samples.length };
    if (stats.rms === 0) return flatSignal(this.plan, stats, samples.length);
    this.analyses++;
    let spectra = this.accumulator.averages();
    let speed = estimateShaftSpeed(spectra.amplitude, spectra.binHz, this.plan.speedSearch);
    const bearing = this.plan.bearing;
    const byEnvelope = speed.source === 'range-centre' && bearing !== undefined;
    if (bearing && (byEnvelope || (selecting && this.plan.candidateBands.length > 1))) {
      const envelopes = selecting
        ? this.accumulator.candidateEnvelopes().map((c) => c.envelope)
        : [spectra.envelope];
      const speeds = byEnvelope ? speedsAcross(this.plan.speedSearch) : [speed.shaftHz];
      let best = { score: -1, lines: 0, shaftHz: speed.shaftHz, band: 0, hz: 0 };
      for (const shaftHz of speeds) {
        const evidence = envelopes.map((e) => bandEvidence(e, spectra.binHz, bearing, shaftHz));
        const band = chooseBand(evidence);
        const { score, lines, hz } = evidence[band]!;
        // Speeds a few percent apart often find the same line, as one family at one speed and as a
        // neighbouring one at another (ZA-2115: 2×BSF and BPFI lie 6 % apart; its harmonics are the
        // same lines either way, their scores differ only by which bin each search window picks):
        // the same line is the same evidence, and the speed nearest the planned one wins.
        const nearer = Math.abs(shaftHz - this.plan.shaftHz) < Math.abs(best.shaftHz - this.plan.shaftHz);
        const sameLine = hz > 0 && best.hz > 0 && Math.abs(hz - best.hz) <= SAME_LINE_BINS * spectra.binHz;
        if (sameLine ? nearer : score > best.score || (score === best.score && nearer))
          best = { score, lines, shaftHz, band, hz };
      }
      // Trying many speeds is many chances for noise: the range's speed needs a full series.
      if (byEnvelope && best.lines >= ENVELOPE_SPEED_LINES)
        speed = { shaftHz: best.shaftHz, source: 'envelope', harmonics: 0 };
      if (selecting) {
        this.accumulator.useBand(best.score > 0 ? best.band : 0);
        this.accumulator.evaluateCandidates(false);
        spectra = this.accumulator.averages();
      }
    }
    this.lastSpeed = speed;
    return diagnoseSpectra(spectra, this.plan, stats, samples.length, speed);
  }

  /**
   * The last analysed waveform's findings, made again from the state it left (the same spectra,
   * statistics and speed, so the same findings), for a ticket's evidence.
   *
   * Made again rather than kept: a channel's findings (some 7 KB of objects) were held until its next
   * waveform, 64 waveforms later with 64 channels, which outlived the analysis worker's young
   * generation and kept its scavenges busy. Measured on one thread with the worker's 2 MB
   * semi-spaces: 9,900–10,300 analyses per CPU-second holding each channel's last evidence against
   * 13,200–15,100 holding none (in the agent, its worker beside the event loop, within noise). Rules
   * ask for evidence only when a ticket changes, so making them again costs little.
   */
  findings(): Finding[] {
    const last = this.last;
    if (!last) throw new DiagnosisError('no waveform analysed yet: no findings to show');
    if (last.stats.rms === 0) return flatSignal(this.plan, last.stats, last.samples).findings;
    return diagnoseSpectra(this.accumulator.averages(), this.plan, last.stats, last.samples, this.lastSpeed)
      .findings;
  }

  /** Plots of the last analysed waveform, for a ticket's evidence. */
  snapshots(): DiagnosisSnapshots {
    return diagnosisSnapshots(this.accumulator.averages(), this.plan, this.lastSpeed.shaftHz);
  }
}
