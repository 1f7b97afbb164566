/**
 * A rotating machine's casing acceleration, synthesised frame by frame with continuous phase, so
 * consecutive frames join into one signal. Pure: parameters and a seed in, samples out.
 */
import { seededRandom } from '../../shared/seeded-random.js';

export const FAULT_KINDS = ['healthy', 'unbalance', 'outer-race'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface MachineParameters {
  rpm: number;
  sampleRateHz: number;
  fault: FaultKind;
  /** Outer-race defect frequency as a multiple of shaft speed (SKF 6205: 3.5848). */
  bpfoMultiple: number;
  /** Casing resonance the bearing impacts ring at. */
  resonanceHz: number;
  seed: number;
}

const G = 9.80665;

/** Velocity amplitude (mm/s, peak) at 1× → acceleration amplitude in g. */
const velocityPeakToAccelG = (mmS: number, hz: number): number => ((mmS / 1000) * 2 * Math.PI * hz) / G;

export class MachineModel {
  private readonly random: () => number;
  private sampleIndex = 0;
  /** Time of the next bearing impact, seconds since start: impacts cross frame boundaries. */
  private nextImpactS = 0;
  private readonly impacts: { t: number; amplitude: number }[] = [];

  constructor(readonly params: MachineParameters) {
    this.random = seededRandom(params.seed);
  }

  private gaussian(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /**
   * The next `length` samples in g. `severity` in [0, 1] scales the fault from absent to severe:
   * unbalance raises 1× from 1.5 to 11.5 mm/s peak (ISO zone A to D for a group 2 machine);
   * an outer-race defect rings the resonance at BPFO with up to 3 g per impact.
   */
  nextFrame(length: number, severity: number): Float64Array {
    const { rpm, sampleRateHz, fault, bpfoMultiple, resonanceHz } = this.params;
    const shaftHz = rpm / 60;
    const s = Math.min(1, Math.max(0, severity));
    const oneX = velocityPeakToAccelG(1.5 + (fault === 'unbalance' ? 10 * s : 0), shaftHz);
    const twoX = velocityPeakToAccelG(0.5, 2 * shaftHz);
    const noiseG = 0.02;
    const frame = new Float64Array(length);
    const dt = 1 / sampleRateHz;
    const startS = this.sampleIndex * dt;
    const endS = startS + length * dt;

    if (fault === 'outer-race' && s > 0) {
      const periodS = 1 / (bpfoMultiple * shaftHz);
      while (this.nextImpactS < endS) {
        // 1 % timing jitter: rollers slip, so real impacts are not perfectly periodic.
        this.impacts.push({ t: this.nextImpactS, amplitude: 3 * s * (0.8 + 0.4 * this.random()) });
        this.nextImpactS += periodS * (1 + 0.01 * this.gaussian());
      }
    } else {
      this.nextImpactS = endS;
    }
    const decayPerS = 2 * Math.PI * resonanceHz * 0.05;
    const ringS = 5 / decayPerS;
    while (this.impacts.length > 0 && (this.impacts[0]?.t ?? 0) + ringS < startS) this.impacts.shift();

    for (let i = 0; i < length; i++) {
      const t = startS + i * dt;
      let a =
        oneX * Math.sin(2 * Math.PI * shaftHz * t) + twoX * Math.sin(2 * Math.PI * 2 * shaftHz * t + 0.7);
      for (const impact of this.impacts) {
        const since = t - impact.t;
        if (since >= 0 && since < ringS) {
          a += impact.amplitude * Math.exp(-decayPerS * since) * Math.sin(2 * Math.PI * resonanceHz * since);
        }
      }
      frame[i] = a + noiseG * this.gaussian();
    }
    this.sampleIndex += length;
    return frame;
  }
}
