import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { MachineModel, type Resonance } from '../../simulators/vibration/machine-model.js';
import { seededRandom } from '../../simulators/seeded-random.js';
import { candidateBands, MIN_BAND_WIDTH_LINES } from './band-selection.js';
import {
  BAND_RESELECTION_INTERVAL,
  diagnoseRecord,
  type DiagnosisOptions,
  planDiagnosis,
  WindowDiagnoser,
} from './diagnosis.js';

const SKF_6205 = defectMultiples(catalogBearing('skf-6205').geometry);
const FS = 25_600;
const options: DiagnosisOptions = { sampleRateHz: FS, rpm: 1800, unit: 'g', bearing: SKF_6205 };

/** Gear-mesh-like tones well above the shaft lines, one of them inside the bearing's resonance. */
const TONES: [hz: number, g: number][] = [
  [1234.5, 2],
  [2469, 1.5],
  [3703.5, 1],
  [4938, 0.8],
  [8800, 3],
];

/**
 * A machine with an outer-race defect of the given severity ringing one structural mode, buried
 * under strong discrete tones and broadband noise of `noiseG` RMS (seeded: same signal every run).
 */
function buriedRecord(severity: number, resonance: Resonance, noiseG: number, seed: number): Float64Array {
  const machine = new MachineModel({
    rpm: 1800,
    sampleRateHz: FS,
    fault: 'outer-race',
    resonances: [resonance],
    speedWander: 0,
    seed,
  });
  const signal = machine.nextFrame(2 * FS, severity);
  const random = seededRandom(seed + 100);
  for (let i = 0; i < signal.length; i++) {
    let gaussian = 0;
    for (let j = 0; j < 12; j++) gaussian += random();
    signal[i]! += noiseG * (gaussian - 6);
    for (const [hz, g] of TONES) signal[i]! += g * Math.sin((2 * Math.PI * hz * i) / FS + hz);
  }
  return signal;
}

const NARROW_RESONANCE: Resonance = { hz: 9000, damping: 0.01, gain: 1 };

describe('carrier band chosen by the envelope evidence', () => {
  it('finds an outer-race defect whose narrow resonance the full band buries in noise and tones', () => {
    for (const seed of [1, 2]) {
      const diagnosis = diagnoseRecord(buriedRecord(0.5, NARROW_RESONANCE, 1.5, seed), options);
      // Before: the fixed band 1050–11520 Hz was the only one; BPFO stood 2.6–2.8× its floor, no finding.
      expect(diagnosis.findings[0]?.fault).toBe('outer_race');
      const band = diagnosis.features.envelope!.band;
      expect(band.lowHz).toBeLessThan(9000);
      expect(band.highHz).toBeGreaterThan(9000);
      expect(band.highHz - band.lowHz).toBeLessThan(3000);
    }
  });

  it('still finds a defect the full band already finds, and raises nothing on the healthy machine', () => {
    const broad: Resonance = { hz: 3000, damping: 0.05, gain: 1 };
    const faulty = diagnoseRecord(buriedRecord(0.5, broad, 0.2, 3), options);
    expect(faulty.findings[0]?.fault).toBe('outer_race');
    expect(faulty.findings[0]!.confidence).toBeGreaterThan(0.6);
    for (const seed of [1, 2, 3, 4]) {
      const healthy = diagnoseRecord(buriedRecord(0, NARROW_RESONANCE, 1.5, seed), options);
      expect(healthy.findings).toEqual([]);
      expect(healthy.features.envelope!.band.highHz - healthy.features.envelope!.band.lowHz).toBeGreaterThan(
        10_000,
      );
    }
  });

  it('offers the full band first, then kurtogram bands inside it no narrower than three highest lines', () => {
    const plan = planDiagnosis(2 * FS, options);
    const [full, ...narrower] = plan.candidateBands;
    expect(full).toEqual(plan.envelopeBand);
    // Halves, thirds, quarters and sixths of 1091–11520 Hz; eighths would be narrower than 3 × 540 Hz.
    expect(narrower).toHaveLength(2 + 3 + 4 + 6);
    const highestLineHz = plan.envelopeBand.lowHz / 2;
    for (const band of narrower) {
      expect(band.lowHz).toBeGreaterThanOrEqual(full!.lowHz - 1e-9);
      expect(band.highHz).toBeLessThanOrEqual(full!.highHz + 1e-9);
      expect(band.highHz - band.lowHz).toBeGreaterThanOrEqual(MIN_BAND_WIDTH_LINES * highestLineHz);
    }
    expect(candidateBands({ lowHz: 1000, highHz: 2000 }, 500)).toEqual([{ lowHz: 1000, highHz: 2000 }]);
  });

  it('streams with the band chosen on the first waveform until the next comparison', () => {
    const waveform = buriedRecord(0.5, NARROW_RESONANCE, 1.5, 1);
    const plan = planDiagnosis(waveform.length, options);
    const diagnoser = new WindowDiagnoser(plan);
    const first = diagnoser.analyse(waveform);
    const chosen = first.features.envelope!.band;
    expect(chosen.highHz - chosen.lowHz).toBeLessThan(3000);
    // Between comparisons only the chosen band is demodulated: same band, same findings.
    for (let i = 1; i < BAND_RESELECTION_INTERVAL; i++) {
      const next = diagnoser.analyse(waveform);
      expect(next.features.envelope!.band).toEqual(first.features.envelope!.band);
      expect(next.findings).toEqual(first.findings);
    }
  });
});
