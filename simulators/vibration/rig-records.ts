/**
 * Stand-ins for rigs the development recordings do not cover (another bearing, sample rate and
 * speed): a bearing-fault record (`bearing-fault-signals.ts`) at each rig's sample rate, shaft speed,
 * record length and structural resonance, with the fault's impacts slipping below their kinematic
 * rate and, optionally, a train of shaft harmonics. Shared by `edge/signal/other-rigs.test.ts`,
 * which asserts on them, and `test/tools/write-rig-batch.ts`, which writes them as a
 * `plantwatch diagnose --batch` folder. Pure and seeded.
 */
import { catalogBearing, type DefectMultiples, defectMultiples } from '../../shared/bearings.js';
import { bearingSignal, type ImpactTrain } from './bearing-fault-signals.js';

const STANDARD_GRAVITY = 9.80665;

export interface Rig {
  name: string;
  /** Catalog id of the bearing. */
  bearingId: string;
  sampleRateHz: number;
  shaftHz: number;
  seconds: number;
  /** The resonance the impacts ring: well inside the band a rig of this sample rate measures. */
  resonanceHz: number;
}

/** Sample rates, speeds and bearings as the public data sets state them. */
export const RIGS: readonly Rig[] = [
  {
    name: 'cwru-48k',
    bearingId: 'skf-6205',
    sampleRateHz: 48_000,
    shaftHz: 1797 / 60,
    seconds: 2,
    resonanceHz: 3500,
  },
  {
    name: 'cwru-fan-end',
    bearingId: 'skf-6203',
    sampleRateHz: 12_000,
    shaftHz: 1750 / 60,
    seconds: 2,
    resonanceHz: 3000,
  },
  {
    name: 'paderborn-64k',
    bearingId: 'skf-6203',
    sampleRateHz: 64_000,
    shaftHz: 25,
    seconds: 4,
    resonanceHz: 5000,
  },
  {
    name: 'mfpt-97k',
    bearingId: 'nice-mfpt',
    sampleRateHz: 97_656,
    shaftHz: 25,
    seconds: 3,
    resonanceHz: 8000,
  },
  {
    name: 'mfpt-48k',
    bearingId: 'nice-mfpt',
    sampleRateHz: 48_828,
    shaftHz: 25,
    seconds: 3,
    resonanceHz: 6000,
  },
];

export const RIG_FAULTS = ['outer_race', 'inner_race', 'rolling_element', 'healthy'] as const;
export type RigFault = (typeof RIG_FAULTS)[number];

export interface RigRecordOptions {
  /** How far the defect rate sits below kinematics (rolling elements slip): default 0.015. */
  slip?: number;
  /** Gaussian noise RMS against impacts of peak 1: default 0.3. */
  noise?: number;
  /**
   * Velocity of 1×, mm/s peak, the k-th harmonic 1/k of it (acceleration in g like the impacts):
   * default 0, none. A sound machine shows 1–3 mm/s; much more is a running-speed fault of its own.
   */
  shaftVelocityMmS?: number;
  seed: number;
}

export function rigBearing(rig: Rig): DefectMultiples {
  return defectMultiples(catalogBearing(rig.bearingId).geometry);
}

/** The fault's impacts with the modulation its kinematics give it (Randall & Antoni 2011). */
function impactsOf(fault: RigFault, b: DefectMultiples, shaftHz: number, slip: number): ImpactTrain[] {
  const slipping = 1 - slip;
  if (fault === 'outer_race') return [{ rateHz: b.bpfo * shaftHz * slipping, amplitude: 1 }];
  if (fault === 'inner_race')
    return [
      {
        rateHz: b.bpfi * shaftHz * slipping,
        amplitude: 1,
        modulations: [{ hz: shaftHz, depths: [0.5] }],
      },
    ];
  if (fault === 'rolling_element')
    return [
      {
        rateHz: 2 * b.bsf * shaftHz * slipping,
        amplitude: 1,
        modulations: [{ hz: b.ftf * shaftHz * slipping, depths: [0.6, 0.3] }],
      },
    ];
  return [];
}

export function rigRecord(rig: Rig, fault: RigFault, options: RigRecordOptions): Float64Array {
  const slip = options.slip ?? 0.015;
  const samples = bearingSignal({
    sampleRateHz: rig.sampleRateHz,
    seconds: rig.seconds,
    noise: options.noise ?? 0.3,
    seed: options.seed,
    resonanceHz: rig.resonanceHz,
    impacts: impactsOf(fault, rigBearing(rig), rig.shaftHz, slip),
  });
  const velocityMmS = options.shaftVelocityMmS ?? 0;
  for (let k = 1; k <= 8 && velocityMmS > 0; k++) {
    const hz = k * rig.shaftHz;
    const peakG = ((velocityMmS / k / 1000) * 2 * Math.PI * hz) / STANDARD_GRAVITY;
    const omega = (2 * Math.PI * hz) / rig.sampleRateHz;
    for (let i = 0; i < samples.length; i++) samples[i]! += peakG * Math.sin(omega * i + k);
  }
  return samples;
}
