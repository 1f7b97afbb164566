/**
 * A rotating machine's casing acceleration, synthesised frame by frame with continuous phase, so
 * consecutive frames join into one signal. Pure: parameters and a seed in, samples out.
 *
 * The physics, kept to what the diagnosis looks at: a shaft whose speed wanders slowly (±0.5 %);
 * running-speed orders in velocity (1×, 2×, and the harmonics and half orders of the shaft faults);
 * bearing defects as impacts at the kinematic defect rate of the bearing's geometry, with slip jitter
 * of their timing and the amplitude modulation of their fault (inner race: load zone at shaft rate;
 * rolling element: cage rate), each impact ringing the structure's resonances; broadband noise.
 */
import { catalogBearing, type DefectMultiples, defectMultiples } from '../../shared/bearings.js';
import { seededRandom } from '../seeded-random.js';

export const FAULT_KINDS = [
  'healthy',
  'unbalance',
  'outer-race',
  'misalignment',
  'looseness',
  'inner-race',
  'rolling-element',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const BEARING_FAULT_KINDS: readonly FaultKind[] = ['outer-race', 'inner-race', 'rolling-element'];

/** A structural mode the bearing impacts ring: frequency, damping ratio and gain relative to the first. */
export interface Resonance {
  hz: number;
  damping: number;
  gain: number;
}

export interface MachineParameters {
  rpm: number;
  sampleRateHz: number;
  fault: FaultKind;
  /** Outer-race defect frequency as a multiple of shaft speed; overrides the bearing's BPFO when given. */
  bpfoMultiple?: number;
  /** Defect multiples of the bearing; default: SKF 6205 from the catalog. */
  bearing?: DefectMultiples;
  /** Casing resonance the bearing impacts ring at (damping 5 %); ignored when `resonances` is given. */
  resonanceHz?: number;
  /** Structural modes the impacts excite; default one at `resonanceHz` (3 kHz, below fs/4). */
  resonances?: readonly Resonance[];
  /** Relative spread of the interval between impacts (rolling elements slip): default 0.01. */
  slipJitter?: number;
  /** Bound of the shaft speed's slow random walk, relative: default 0.005 (±0.5 %). */
  speedWander?: number;
  /**
   * Late-stage bearing damage (stages 3–4 of the usual four): the spall spreads, clearance grows,
   * and shaft harmonics and a broadband floor rise with the square of severity. Off by default so
   * a fully developed defect in the demo is still a clean, early-stage impact train.
   */
  damageSpread?: boolean;
  seed: number;
}

const G = 9.80665;

/** Velocity amplitude (mm/s, peak) at a frequency → acceleration amplitude in g. */
const velocityPeakToAccelG = (mmS: number, hz: number): number => ((mmS / 1000) * 2 * Math.PI * hz) / G;

/** Impact amplitude at full severity, g: the transfer path from an inner race or a ball is longer. */
const IMPACT_G: Partial<Record<FaultKind, number>> = {
  'outer-race': 3,
  'inner-race': 2.5,
  'rolling-element': 2,
};

/** Shaft-speed orders of one fault: (order, velocity mm/s peak, phase). */
type Order = [order: number, mmS: number, phase: number];

/** The running-speed orders at a severity: a healthy machine's 1× and 2×, plus the fault's. */
export function runningSpeedOrders(fault: FaultKind, severity: number, damageSpread = false): Order[] {
  const s = Math.min(1, Math.max(0, severity));
  const orders: Order[] = [
    [1, 1.5 + (fault === 'unbalance' ? 10 * s : 0), 0],
    [2, 0.5, 0.7],
  ];
  if (fault === 'misalignment') {
    // Angular and parallel misalignment load the coupling twice a turn: 2× grows past 1×, 3× follows.
    orders[0]![1] += 2 * s;
    orders[1]![1] += 11 * s;
    orders.push([3, 3 * s, 1.9]);
  } else if (fault === 'looseness') {
    // A rocking or loose fit truncates the response: many harmonics and half orders (Bently, Mitchell).
    orders[0]![1] += 3 * s;
    for (let k = 2; k <= 10; k++) orders.push([k, (5 * s) / Math.sqrt(k), 0.37 * k]);
    for (const half of [0.5, 1.5, 2.5, 3.5]) orders.push([half, 2 * s, 1.3 * half]);
  } else if (damageSpread && BEARING_FAULT_KINDS.includes(fault)) {
    // Stage 3–4: clearance from wear brings out 1× and its harmonics.
    const wear = s * s;
    orders[0]![1] += 5 * wear;
    for (let k = 2; k <= 5; k++) orders.push([k, (3 * wear) / k, 0.5 * k]);
  }
  return orders;
}

/**
 * Bearing temperature, °C: 45 running; a bearing defect adds friction heat late (severity³, 85 °C
 * near failure), a shaft fault a little from the extra load.
 */
export function bearingTemperatureC(fault: FaultKind, severity: number): number {
  const s = Math.min(1, Math.max(0, severity));
  if (fault === 'healthy') return 45;
  if (BEARING_FAULT_KINDS.includes(fault)) return 45 + 45 * s ** 3;
  return 45 + 15 * s;
}

interface Impact {
  t: number;
  amplitude: number;
}

export class MachineModel {
  private readonly random: () => number;
  private readonly bearing: DefectMultiples;
  private readonly resonances: readonly Resonance[];
  private sampleIndex = 0;
  /** Shaft angle in revolutions at the start of the next frame: phase stays continuous while speed wanders. */
  private shaftRevolutions = 0;
  /** Relative speed offset, a bounded random walk. */
  private speedOffset = 0;
  /** Shaft revolution of the next bearing impact: impacts cross frame boundaries. */
  private nextImpactRev = 0;
  private readonly impacts: Impact[] = [];

  constructor(readonly params: MachineParameters) {
    this.random = seededRandom(params.seed);
    const bearing = params.bearing ?? defectMultiples(catalogBearing('skf-6205').geometry);
    this.bearing = params.bpfoMultiple ? { ...bearing, bpfo: params.bpfoMultiple } : bearing;
    this.resonances = params.resonances ?? [
      { hz: params.resonanceHz ?? Math.min(3000, params.sampleRateHz / 4), damping: 0.05, gain: 1 },
    ];
  }

  private gaussian(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** The bearing's impacts: rate (per shaft revolution) and the amplitude modulation at an angle. */
  private impactKinematics(fault: FaultKind): { perRev: number; modulation: (rev: number) => number } | null {
    const b = this.bearing;
    if (fault === 'outer-race') return { perRev: b.bpfo, modulation: () => 1 };
    // The defect on the rotating inner ring passes through the load zone once a turn.
    if (fault === 'inner-race')
      return { perRev: b.bpfi, modulation: (rev) => 0.55 + 0.45 * Math.cos(2 * Math.PI * rev) };
    // A damaged ball strikes both races once per spin and is loaded once per cage revolution.
    if (fault === 'rolling-element')
      return { perRev: 2 * b.bsf, modulation: (rev) => 0.55 + 0.45 * Math.cos(2 * Math.PI * b.ftf * rev) };
    return null;
  }

  /**
   * The next `length` samples in g. `severity` in [0, 1] scales the fault from absent to severe:
   * unbalance raises 1× from 1.5 to 11.5 mm/s peak (ISO zone A to D for a group 2 machine);
   * misalignment raises 2× to 11.5 mm/s with some 3×; looseness brings harmonics and half orders;
   * a bearing defect rings the resonances with up to 3 g (outer race), 2.5 g (inner), 2 g (ball)
   * per impact.
   */
  nextFrame(length: number, severity: number): Float64Array {
    const { rpm, sampleRateHz, fault } = this.params;
    const s = Math.min(1, Math.max(0, severity));
    const wander = this.params.speedWander ?? 0.005;
    // Mean-reverting walk, clamped: the speed drifts over tens of frames, never beyond ±wander.
    this.speedOffset = Math.max(
      -wander,
      Math.min(wander, 0.9 * this.speedOffset + 0.3 * wander * this.gaussian()),
    );
    const shaftHz = (rpm / 60) * (1 + this.speedOffset);
    const dt = 1 / sampleRateHz;
    const startS = this.sampleIndex * dt;
    const rev0 = this.shaftRevolutions;
    const revEnd = rev0 + shaftHz * length * dt;
    const spread = this.params.damageSpread === true && BEARING_FAULT_KINDS.includes(fault);

    const orders = runningSpeedOrders(fault, s, this.params.damageSpread).map(([order, mmS, phase]) => ({
      order,
      accelG: velocityPeakToAccelG(mmS, order * shaftHz),
      phase,
    }));
    const noiseG = 0.02 + (spread ? 0.25 * s * s : 0);

    const kinematics = s > 0 ? this.impactKinematics(fault) : null;
    if (kinematics) {
      const jitter = this.params.slipJitter ?? 0.01;
      const periodRev = 1 / kinematics.perRev;
      const peakG = (IMPACT_G[fault] ?? 0) * s;
      if (this.nextImpactRev < rev0) this.nextImpactRev = rev0;
      while (this.nextImpactRev < revEnd) {
        const rev = this.nextImpactRev;
        this.impacts.push({
          t: startS + (rev - rev0) / shaftHz,
          amplitude: peakG * kinematics.modulation(rev) * (0.8 + 0.4 * this.random()),
        });
        // Rollers slip, so real impacts are not perfectly periodic (and pre-whitening would remove them if they were).
        this.nextImpactRev += periodRev * (1 + jitter * this.gaussian());
      }
    } else {
      this.nextImpactRev = revEnd;
    }
    const modes = this.resonances.map((r) => ({
      omega: 2 * Math.PI * r.hz,
      decayPerS: 2 * Math.PI * r.hz * r.damping,
      gain: r.gain,
    }));
    const ringS = Math.max(...modes.map((m) => 5 / m.decayPerS));
    while (this.impacts.length > 0 && (this.impacts[0]?.t ?? 0) + ringS < startS) this.impacts.shift();

    const frame = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      const t = startS + i * dt;
      const angle = 2 * Math.PI * (rev0 + shaftHz * i * dt);
      let a = 0;
      for (const o of orders) a += o.accelG * Math.sin(o.order * angle + o.phase);
      for (const impact of this.impacts) {
        const since = t - impact.t;
        if (since < 0 || since >= ringS) continue;
        for (const mode of modes) {
          a +=
            impact.amplitude * mode.gain * Math.exp(-mode.decayPerS * since) * Math.sin(mode.omega * since);
        }
      }
      frame[i] = a + noiseG * this.gaussian();
    }
    this.sampleIndex += length;
    this.shaftRevolutions = revEnd;
    return frame;
  }
}
