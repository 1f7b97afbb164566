import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { MachineModel } from '../../simulators/vibration/machine-model.js';
import { seededRandom } from '../../simulators/seeded-random.js';
import { DiagnosisError, diagnoseRecord, type DiagnosisOptions } from './diagnosis.js';
import { estimateShaftSpeed } from './speed-estimate.js';
import { IMS_SNAPSHOT, readF32 } from '../../test/helpers/bearing-data.js';

const SKF_6205 = defectMultiples(catalogBearing('skf-6205').geometry);
const FS = 12_000;
const TRUE_RPM = 1800;

/** Rolling elements slip: the outer-race impacts come 2.5 % below the kinematic BPFO. */
const SLIP = 0.025;

/**
 * An outer-race defect on a shaft turning at exactly TRUE_RPM (no speed wander), with the model's
 * 1× and 2× lines and impacts at the slipped BPFO.
 */
function outerRaceRecord(seed = 5): Float64Array {
  const machine = new MachineModel({
    rpm: TRUE_RPM,
    sampleRateHz: FS,
    fault: 'outer-race',
    bpfoMultiple: SKF_6205.bpfo * (1 - SLIP),
    speedWander: 0,
    seed,
  });
  return machine.nextFrame(4 * FS, 0.5);
}

const base = { sampleRateHz: FS, unit: 'g', bearing: SKF_6205 } as const;
const relativeError = (rpm: number) => Math.abs(rpm / TRUE_RPM - 1);

describe('shaft speed from the signal', () => {
  it('diagnoses a record whose stated rpm is 2 % above the true speed, at the speed it estimates', () => {
    const given = 1836;
    const diagnosis = diagnoseRecord(outerRaceRecord(), { ...base, rpm: given });
    // Before: BPFO at the stated speed is 109.7 Hz; the slipped line at 104.85 Hz (−4.4 %) lies
    // outside the slip range searched (−3.5 %): only the flank of its main lobe was found, at
    // 105.8 Hz, 3.7× its floor, confidence 0.54.
    const top = diagnosis.findings[0]!;
    expect(top.fault).toBe('outer_race');
    expect(top.confidence).toBeGreaterThan(0.8);
    const lineHz = SKF_6205.bpfo * (1 - SLIP) * (TRUE_RPM / 60);
    expect(Math.abs(top.frequencyHz - lineHz)).toBeLessThan(diagnosis.features.binHz);
    const { speed } = diagnosis.features;
    expect(speed.source).toBe('estimated');
    expect(speed.nominalRpm).toBe(given);
    expect(relativeError(speed.usedRpm)).toBeLessThan(0.003);
    expect(speed.searchedRange!.min).toBeLessThan(TRUE_RPM);
    expect(speed.searchedRange!.max).toBeGreaterThan(given);
    expect(diagnosis.features.shaftHz * 60).toBeCloseTo(speed.usedRpm, 0);
  });

  it('diagnoses a record given only an rpm range', () => {
    const diagnosis = diagnoseRecord(outerRaceRecord(6), { ...base, rpmRange: { min: 1700, max: 1850 } });
    expect(diagnosis.findings[0]?.fault).toBe('outer_race');
    const { speed } = diagnosis.features;
    expect(speed.source).toBe('estimated');
    expect(speed.nominalRpm).toBeUndefined();
    expect(speed.searchedRange).toEqual({ min: 1700, max: 1850 });
    expect(relativeError(speed.usedRpm)).toBeLessThan(0.003);
  });

  it('keeps the given rpm when told to (tolerance 0) and reports it as given', () => {
    const diagnosis = diagnoseRecord(outerRaceRecord(), { ...base, rpm: 1790, rpmTolerance: 0 });
    expect(diagnosis.features.speed).toEqual({
      nominalRpm: 1790,
      usedRpm: 1790,
      source: 'given',
      harmonics: 0,
    });
    expect(diagnosis.features.shaftHz).toBeCloseTo(1790 / 60, 4);
  });

  it('keeps the given rpm when no shaft harmonic series stands out (noise only)', () => {
    const random = seededRandom(3);
    const noise = Float64Array.from({ length: 2 * FS }, () => random() - 0.5);
    const diagnosis = diagnoseRecord(noise, { ...base, rpm: 1764 });
    expect(diagnosis.features.speed.source).toBe('given');
    expect(diagnosis.features.speed.usedRpm).toBe(1764);
  });

  it('uses the centre of the range when only a range is given and no series stands out', () => {
    const random = seededRandom(4);
    const noise = Float64Array.from({ length: 2 * FS }, () => random() - 0.5);
    const diagnosis = diagnoseRecord(noise, { ...base, rpmRange: { min: 1700, max: 1800 } });
    expect(diagnosis.features.speed.source).toBe('range-centre');
    expect(diagnosis.features.speed.usedRpm).toBe(1750);
  });

  it('refuses a missing, reversed or contradictory speed with what to give instead', () => {
    const refusal = (options: Partial<DiagnosisOptions>) => {
      try {
        diagnoseRecord(outerRaceRecord(), { ...base, ...options });
      } catch (error) {
        expect(error).toBeInstanceOf(DiagnosisError);
        return (error as Error).message;
      }
      return 'no refusal';
    };
    expect(refusal({})).toMatch(/shaft speed must be given: an rpm .* or a range/);
    expect(refusal({ rpmRange: { min: 1800, max: 1700 } })).toMatch(
      /rpm range must be two positive speeds, the lower first/,
    );
    expect(refusal({ rpm: 1500, rpmRange: { min: 1700, max: 1800 } })).toMatch(
      /1500 rpm lies outside the rpm range 1700-1800/,
    );
    expect(refusal({ rpm: 1800, rpmTolerance: 2 })).toMatch(/rpm tolerance must be a fraction/);
  });
});

describe('an rpm range on a belt drive whose shaft lines do not stand out (IMS, real recordings)', () => {
  const ZA_2115 = defectMultiples(catalogBearing('rexnord-za-2115').geometry);
  // Nominal 2000 rpm; a range whose centre (2050) puts BPFO 4.7 % above the observed line.
  const imsRange: DiagnosisOptions = {
    sampleRateHz: 20_000,
    rpmRange: { min: 1850, max: 2250 },
    unit: 'g',
    bearing: ZA_2115,
  };
  const snapshot = (file: string, i: number) =>
    readF32(file).subarray(i * IMS_SNAPSHOT, (i + 1) * IMS_SNAPSHOT);

  it('finds the outer race at the speed in the range where its envelope lines stand out', () => {
    for (const i of [11, 12, 13, 14]) {
      const diagnosis = diagnoseRecord(snapshot('ims-dev/test3_b3.f32', i), imsRange);
      expect(diagnosis.findings[0]?.fault).toBe('outer_race');
      expect(diagnosis.features.speed.source).toBe('envelope');
    }
  });

  it('raises nothing on the healthy bearing for trying the speeds across the range', () => {
    for (let i = 0; i < 23; i++) {
      const diagnosis = diagnoseRecord(snapshot('ims-dev/test1_b1_early.f32', i), imsRange);
      expect(diagnosis.findings, `snapshot ${i}`).toEqual([]);
    }
  });
});

describe('estimateShaftSpeed on a spectrum', () => {
  const binHz = 0.5;
  /** Amplitude spectrum with a low floor and Hann-shaped lines (three bins) at the given frequencies. */
  function spectrumWith(lines: [hz: number, amplitude: number][]): Float64Array {
    const random = seededRandom(9);
    const spectrum = Float64Array.from({ length: 2048 }, () => 0.01 * (0.5 + random()));
    for (const [hz, amplitude] of lines) {
      const position = hz / binHz;
      for (let k = Math.floor(position) - 1; k <= Math.ceil(position) + 1; k++) {
        const d = k - position;
        spectrum[k]! +=
          Math.abs(d) < 2 ? amplitude * Math.max(0, 0.5 + 0.5 * Math.cos((Math.PI * d) / 2)) : 0;
      }
    }
    return spectrum;
  }

  it('follows 1× and its harmonics past strong mains lines at 60 and 120 Hz', () => {
    const shaftHz = 29.55;
    const spectrum = spectrumWith([
      [60, 5],
      [120, 8],
      ...[1, 2, 3, 4, 5, 6].map((h): [number, number] => [h * shaftHz, 1 / h]),
    ]);
    const estimate = estimateShaftSpeed(spectrum, binHz, { lowHz: 28.5, highHz: 31.2, givenHz: 30 });
    expect(estimate.source).toBe('estimated');
    // 2× (59.1 Hz) sits on the flank of the mains line and is no peak of its own: five lines remain.
    expect(estimate.harmonics).toBe(5);
    expect(Math.abs(estimate.shaftHz / shaftHz - 1)).toBeLessThan(0.002);
  });

  it('keeps a given speed its harmonics confirm, and replaces one they contradict', () => {
    const shaftHz = 29.55;
    const spectrum = spectrumWith([1, 2, 3, 4, 5, 6, 7].map((h): [number, number] => [h * shaftHz, 1 / h]));
    const search = (givenHz: number) => ({ lowHz: givenHz * 0.96, highHz: givenHz * 1.04, givenHz });
    const confirmed = estimateShaftSpeed(spectrum, binHz, search(29.57));
    expect(confirmed).toEqual({ shaftHz: 29.57, source: 'given', harmonics: 7 });
    const contradicted = estimateShaftSpeed(spectrum, binHz, search(shaftHz * 1.02));
    expect(contradicted.source).toBe('estimated');
    expect(Math.abs(contradicted.shaftHz / shaftHz - 1)).toBeLessThan(0.002);
  });

  it('does not take one line for a speed: 1× needs a harmonic', () => {
    const spectrum = spectrumWith([[29.55, 1]]);
    const estimate = estimateShaftSpeed(spectrum, binHz, { lowHz: 28.5, highHz: 31.2, givenHz: 30 });
    expect(estimate).toEqual({ shaftHz: 30, source: 'given', harmonics: 0 });
  });
});
