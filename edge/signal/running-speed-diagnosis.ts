import type { AccelerationUnit, Finding } from '../../shared/schema/index.js';
import { STANDARD_GRAVITY } from './time-domain.js';
import { type IsoZone, MACHINE_CLASSES, type MachineClass } from './iso-20816.js';
import type { AveragedSpectra } from './spectra-accumulator.js';
import { LineFinder, lineEvidence, type SpectralLine } from './spectral-lines.js';
import { roundToSignificant } from './significant.js';

export const LINE_SNR = 3;
const HIGHEST_ORDER = 10;
/** The orders every diagnosis reports as features (1×, 2×, 3×), whatever the zone. */
export const FEATURE_ORDER = 3;

/** Running-speed faults are judged in zones C and D only; see runningSpeedFindings. */
export const judgesRunningSpeedFaults = (zone: IsoZone): boolean => zone === 'C' || zone === 'D';

export interface RunningSpeedLines {
  /** RMS velocity of the line at each order of shaft speed, mm/s; 0 where no line stands out. */
  velocityMmS: Map<number, number>;
  lines: Map<number, SpectralLine>;
}

const toMetresPerSecondSquared = (unit: AccelerationUnit): number => (unit === 'g' ? STANDARD_GRAVITY : 1);

const velocityBuffers = new Map<number, Float64Array>();
/** 1/k per bin, shared per size: a multiplication per bin instead of a division. */
const inverseBins = new Map<number, Float64Array>();

function inverseBinsOf(length: number): Float64Array {
  let inverse = inverseBins.get(length);
  if (!inverse) {
    inverse = Float64Array.from({ length }, (_, k) => (k === 0 ? 0 : 1 / k));
    inverseBins.set(length, inverse);
  }
  return inverse;
}

/**
 * Velocity amplitude spectrum (RMS mm/s per bin) from the Hann amplitude-corrected acceleration.
 * The array is shared per size and overwritten by the next call.
 */
export function velocitySpectrumMmS(spectra: AveragedSpectra, unit: AccelerationUnit): Float64Array {
  const scale = (toMetresPerSecondSquared(unit) * 1000) / Math.SQRT2;
  let velocity = velocityBuffers.get(spectra.amplitude.length);
  if (!velocity) {
    velocity = new Float64Array(spectra.amplitude.length);
    velocityBuffers.set(spectra.amplitude.length, velocity);
  }
  const perBin = scale / (2 * Math.PI * spectra.binHz);
  const amplitude = spectra.amplitude;
  const inverse = inverseBinsOf(velocity.length);
  for (let k = 1; k < velocity.length; k++) velocity[k] = amplitude[k]! * perBin * inverse[k]!;
  return velocity;
}

/**
 * The highest velocity-spectrum frequency runningSpeedLines reads for a shaft at most shaftHz: 1×
 * is followed up to 2 % and a bin above it, the top order's search reaches 0.5 % and 1.5 bins
 * beyond that, and its noise floor half as far again (at least 40 bins). Bins above need not be
 * computed; the bound is generous so that rounding never brings a read bin to its edge.
 */
export function runningSpeedReachHz(shaftHz: number, binHz: number): number {
  const topLineHz = HIGHEST_ORDER * (1.02 * shaftHz + 1.5 * binHz);
  return 1.5 * (1.005 * topLineHz + 1.5 * binHz) + 64 * binHz;
}

/**
 * Lines at 0.5×, 1×, 1.5×, … highestOrder× shaft speed in the velocity spectrum (10× by default:
 * what looseness needs; a zone where no running-speed fault is judged needs only FEATURE_ORDER).
 */
export function runningSpeedLines(
  velocity: Float64Array,
  binHz: number,
  shaftHz: number,
  highestOrder = HIGHEST_ORDER,
  /**
   * Leave out the lines no diagnosis reads, whose noise floors (a median each, the costliest step)
   * would be computed for nothing: the half orders when only the feature orders are asked for (no
   * running-speed fault is judged then), and, beyond 1×–3×, every line below a tenth of a 1× that
   * stands out (runningSpeedFindings counts an order only at 10 % of 1× or more) or all of them
   * when 1× does not stand out (every running-speed fault needs it).
   */
  relevantOnly = false,
): RunningSpeedLines {
  const finder = new LineFinder(velocity, binHz, 1, 2);
  const lines = new Map<number, SpectralLine>();
  const velocityMmS = new Map<number, number>();
  // The nameplate or measured speed may be a little off: search ±2 % around 1×, then follow it.
  const first = finder.find(shaftHz, { lowHz: shaftHz * 0.98 - binHz, highHz: shaftHz * 1.02 + binHz });
  const observedShaftHz = first && first.snr >= LINE_SNR ? first.hz : shaftHz;
  const v1 = first && first.snr >= LINE_SNR ? first.amplitude : 0;
  for (let order = 0.5; order <= highestOrder; order += 0.5) {
    const hz = order * observedShaftHz;
    let line = first;
    if (order !== 1) {
      const bin = finder.strongestBin({
        lowHz: hz - 1.5 * binHz - 0.005 * hz,
        highHz: hz + 1.5 * binHz + 0.005 * hz,
      });
      if (bin < 0) continue;
      if (
        relevantOnly &&
        order !== 2 &&
        order !== 3 &&
        (highestOrder <= FEATURE_ORDER || !(v1 > 0) || !(finder.amplitudeAt(bin) >= 0.1 * v1))
      )
        continue;
      line = finder.lineAt(bin, hz);
    }
    if (!line) continue;
    lines.set(order, line);
    velocityMmS.set(order, line.snr >= LINE_SNR ? line.amplitude : 0);
  }
  return { velocityMmS, lines };
}

const round = (value: number, digits = 3) => roundToSignificant(value, digits);

/**
 * Running-speed faults, judged only when the overall level is unsatisfactory (zone C or D): at
 * lower levels every machine shows some 1× and 2×, and calling it a fault would be noise.
 * Unbalance: 1× carries most of the vibration energy and 2× is well below it. Misalignment: 2× at
 * least half of 1×. Looseness: a train of harmonics up to 10× or half-orders (ISO 13373-3 practice).
 */
export function runningSpeedFindings(
  lines: RunningSpeedLines,
  overallMmS: number,
  zone: IsoZone,
  machineClass: MachineClass,
  shaftHz: number,
): Finding[] {
  if (!judgesRunningSpeedFaults(zone)) return [];
  const v = (order: number) => lines.velocityMmS.get(order) ?? 0;
  const v1 = v(1);
  const v2 = v(2);
  const zoneWeight = zone === 'D' ? 1 : 0.75;
  const limits = MACHINE_CLASSES[machineClass];
  const levelStep = `overall velocity ${overallMmS.toFixed(2)} mm/s RMS is in ISO zone ${zone} for ${machineClass} (B/C boundary ${limits.bc} mm/s)`;
  const evidence = (orders: number[], reasoning: string[], main: number) => {
    const line = lines.lines.get(main);
    return {
      spectrum: 'velocity' as const,
      method: 'Welch-averaged velocity spectrum, 10–1000 Hz, orders of shaft speed',
      peakAmplitude: round(line?.amplitude ?? 0, 4),
      noiseFloor: round(line?.noiseFloor ?? 0, 4),
      snr: round(line?.snr ?? 0),
      unit: 'mm/s RMS',
      lines: orders.map((o) =>
        lineEvidence(
          `${o}×`,
          o === 1 ? 'fundamental' : 'harmonic',
          lines.lines.get(o) ?? null,
          o * shaftHz,
          LINE_SNR,
        ),
      ),
      reasoning: [levelStep, ...reasoning],
    };
  };
  const findings: Finding[] = [];
  const share1 = (v1 * v1) / (overallMmS * overallMmS);
  if (v1 > 0 && share1 >= 0.5 && v2 < 0.5 * v1) {
    findings.push({
      fault: 'unbalance',
      confidence: round(zoneWeight * Math.min(1, share1), 3),
      frequencyHz: round(lines.lines.get(1)!.hz, 5),
      harmonics: 0,
      evidence: evidence(
        [1, 2],
        [`1× carries ${(share1 * 100).toFixed(0)}% of the vibration energy; 2× is below half of 1×`],
        1,
      ),
    });
  }
  if (v2 > 0 && v1 > 0 && v2 >= 0.5 * v1) {
    const ratio = v2 / v1;
    findings.push({
      fault: 'misalignment',
      confidence: round(zoneWeight * Math.min(1, 0.5 + 0.25 * ratio), 3),
      frequencyHz: round(lines.lines.get(2)!.hz, 5),
      harmonics: 1,
      evidence: evidence([1, 2, 3], [`2× is ${ratio.toFixed(2)} times 1×`], 2),
    });
  }
  const harmonics = [3, 4, 5, 6, 7, 8, 9, 10].filter((o) => v(o) >= 0.1 * v1 && v(o) > 0);
  const halfOrders = [0.5, 1.5, 2.5, 3.5].filter((o) => v(o) >= 0.1 * v1 && v(o) > 0);
  if (v1 > 0 && (harmonics.length >= 4 || halfOrders.length >= 2)) {
    findings.push({
      fault: 'looseness',
      confidence: round(zoneWeight * Math.min(1, 0.4 + 0.08 * (harmonics.length + 2 * halfOrders.length)), 3),
      frequencyHz: round(lines.lines.get(1)!.hz, 5),
      harmonics: harmonics.length,
      evidence: evidence(
        [1, ...harmonics, ...halfOrders],
        [`${harmonics.length} harmonics of 3×–10× and ${halfOrders.length} half-orders reach 10% of 1×`],
        1,
      ),
    });
  }
  return findings;
}
