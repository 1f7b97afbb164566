/**
 * Single-record bearing signals for testing the envelope diagnosis: a train of impacts ringing a
 * resonance, amplitude-modulated by whatever carries the defect through the load zone, on noise.
 * Pure and seeded. Unlike `machine-model.ts` (frames for a live stream, one fault at a time), each
 * ingredient here is explicit, so a test can place a line exactly where an attribution question
 * arises (e.g. an outer-race line whose shaft-rate sideband lands on 2×BSF).
 */
import { seededRandom } from '../seeded-random.js';

/** A periodic amplitude modulation: 1 + Σ depth·cos(2π·k·hz·t) over its harmonics k = 1, 2, … */
export interface Modulation {
  hz: number;
  /** Depth of each harmonic of the modulation, first harmonic first. */
  depths: readonly number[];
}

export interface ImpactTrain {
  /** Mean impact rate, Hz: the defect frequency as the bearing actually turns (slip included). */
  rateHz: number;
  /** Peak acceleration of one impact before modulation. */
  amplitude: number;
  modulations?: readonly Modulation[];
  /** Relative spread of each interval (rolling elements slip): default 0.01. */
  jitter?: number;
}

export interface BearingSignalOptions {
  sampleRateHz: number;
  seconds: number;
  impacts?: readonly ImpactTrain[];
  /** Gaussian noise RMS. */
  noise: number;
  /** Modulations of the noise itself: a healthy bearing's load zone turning with the cage. */
  noiseModulations?: readonly Modulation[];
  /** Resonance the impacts ring, Hz (default 3200), with 5 % damping. */
  resonanceHz?: number;
  seed: number;
}

function modulationAt(modulations: readonly Modulation[] | undefined, t: number): number {
  let gain = 1;
  for (const m of modulations ?? [])
    m.depths.forEach((depth, k) => (gain += depth * Math.cos(2 * Math.PI * (k + 1) * m.hz * t)));
  return Math.max(0, gain);
}

export function bearingSignal(options: BearingSignalOptions): Float64Array {
  const { sampleRateHz: fs, seconds, noise } = options;
  const random = seededRandom(options.seed);
  const gaussian = () => {
    const u = Math.max(1e-12, random());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const out = new Float64Array(Math.round(fs * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = noise * gaussian() * modulationAt(options.noiseModulations, i / fs);

  const resonanceHz = options.resonanceHz ?? 3200;
  const decayPerS = 2 * Math.PI * resonanceHz * 0.05;
  const ringSamples = Math.ceil((6 / decayPerS) * fs);
  for (const train of options.impacts ?? []) {
    const jitter = train.jitter ?? 0.01;
    for (let t = random() / train.rateHz; t < seconds; t += (1 + jitter * gaussian()) / train.rateHz) {
      const amplitude = train.amplitude * modulationAt(train.modulations, t) * (0.9 + 0.2 * random());
      const first = Math.ceil(t * fs);
      for (let i = first; i < Math.min(out.length, first + ringSamples); i++) {
        const since = i / fs - t;
        out[i]! += amplitude * Math.exp(-decayPerS * since) * Math.sin(2 * Math.PI * resonanceHz * since);
      }
    }
  }
  return out;
}
