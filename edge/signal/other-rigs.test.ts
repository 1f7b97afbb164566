import { describe, expect, it } from 'vitest';
import { RIG_FAULTS, type Rig, rigBearing, rigRecord, RIGS } from '../../simulators/vibration/rig-records.js';
import { bearingSignal } from '../../simulators/vibration/bearing-fault-signals.js';
import { diagnoseRecord, planDiagnosis, WindowDiagnoser, windowStarts } from './diagnosis.js';

/**
 * Rigs the development recordings do not cover, through synthetic stand-ins: the same engine must
 * plan, band and judge them without tuning (see simulators/vibration/rig-records.ts).
 */
const BEARING_FAULTS = new Set(['outer_race', 'inner_race', 'rolling_element', 'cage']);

function rig(name: string): Rig {
  return RIGS.find((r) => r.name === name)!;
}

function bearingFindings(r: Rig, samples: Float64Array) {
  const diagnosis = diagnoseRecord(samples, {
    sampleRateHz: r.sampleRateHz,
    rpm: r.shaftHz * 60,
    unit: 'g',
    bearing: rigBearing(r),
  });
  return diagnosis.findings.filter((f) => BEARING_FAULTS.has(f.fault));
}

describe('window planning on other rigs', () => {
  const mfpt = rig('mfpt-97k');
  const plan = (samples: number, sampleRateHz = mfpt.sampleRateHz) =>
    planDiagnosis(samples, { sampleRateHz, rpm: 1500, unit: 'g', bearing: rigBearing(mfpt) });

  it('averages a 3-s record at 97,656 Hz over windows at most 75 % overlapped', () => {
    const samples = Math.round(3 * mfpt.sampleRateHz);
    const { windowSize } = plan(samples);
    const starts = windowStarts(samples, windowSize);
    // Before: 262,144-sample windows starting 30,824 apart (88 % overlap), one periodogram in effect.
    expect(windowSize).toBe(131_072);
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(windowSize / 4);
  });

  it('keeps the window of a record that holds it with a quarter to spare, and a streamed waveform whole', () => {
    expect(plan(24_000, 12_000).windowSize).toBe(16_384);
    expect(plan(20_480, 20_480).windowSize).toBe(16_384);
    expect(plan(65_536).windowSize).toBe(65_536);
  });
});

describe('healthy records on high-sample-rate rigs', () => {
  // Before the window planning kept Welch averaging, seed 7 at 97,656 Hz read rolling_element 0.27
  // and seed 6 at 48,828 Hz rolling_element 0.26, each in one of the 52 candidate bands.
  for (const name of ['mfpt-97k', 'mfpt-48k'])
    it(`${name}: no bearing finding on ten healthy records`, () => {
      const r = rig(name);
      for (let seed = 1; seed <= 10; seed++) {
        const found = bearingFindings(r, rigRecord(r, 'healthy', { seed }));
        expect(found.map((f) => `seed ${seed}: ${f.fault} ${f.confidence}`)).toEqual([]);
      }
    });
});

describe('faults on other rigs', () => {
  for (const r of RIGS)
    for (const fault of RIG_FAULTS)
      it(`${r.name}: ${fault}, 2 % slip, 1× at 2 mm/s with harmonics`, () => {
        const found = bearingFindings(r, rigRecord(r, fault, { seed: 11, slip: 0.02, shaftVelocityMmS: 2 }));
        if (fault === 'healthy') expect(found).toEqual([]);
        else expect(found[0]?.fault).toBe(fault);
      });
});

describe('many analyses at a high sample rate', () => {
  it('re-plans 1,100 times at 97,656 Hz and still analyses: transforms and windows are reused, not leaked', () => {
    const r = rig('mfpt-97k');
    const options = { sampleRateHz: r.sampleRateHz, rpm: 600, unit: 'g' as const, bearing: rigBearing(r) };
    const record = rigRecord({ ...r, shaftHz: 10, seconds: 6 }, 'outer_race', { seed: 3 });
    const plan = planDiagnosis(record.length, options);
    expect(plan.windowSize).toBe(262_144);
    // Before: each diagnoser allocated its own transforms in the WebAssembly heap, which is never
    // freed and stops at 2 GB; the analysis below then failed with "memory access out of bounds".
    // A Hann window of 262,144 doubles in that heap per diagnoser (2 MB) would fill it by the 1,000th.
    let diagnoser = new WindowDiagnoser(plan);
    for (let i = 0; i < 1100; i++) diagnoser = new WindowDiagnoser(plan);
    const found = diagnoser.analyse(record).findings.filter((f) => BEARING_FAULTS.has(f.fault));
    expect(found[0]?.fault).toBe('outer_race');
  });
});

describe('speed from the envelope over an rpm range', () => {
  // A belt-driven or quiet shaft: no 1× lines, only a range. ZA-2115's 2×BSF and BPFI lie 6 % apart,
  // so at the range's low end the roller line reads as BPFI 3.7 % low, with the same harmonics.
  const rollerRig: Rig = {
    name: 'za-2115-60hz',
    bearingId: 'rexnord-za-2115',
    sampleRateHz: 48_000,
    shaftHz: 60,
    seconds: 1,
    resonanceHz: 4900,
  };

  it('names the roller, not the inner race whose line it would be at another speed in the range', () => {
    const record = rigRecord(rollerRig, 'rolling_element', { seed: 5, slip: 0.03 });
    const diagnosis = diagnoseRecord(record, {
      sampleRateHz: rollerRig.sampleRateHz,
      rpmRange: { min: 3420, max: 3708 },
      unit: 'g',
      bearing: rigBearing(rollerRig),
    });
    const found = diagnosis.findings.filter((f) => BEARING_FAULTS.has(f.fault));
    // Before: speed 3420 rpm (the range's end, 0.006 more evidence for the same three lines) and inner_race 0.74.
    expect(diagnosis.features.speed.source).toBe('envelope');
    expect(diagnosis.features.speed.usedRpm).toBeGreaterThan(3500);
    expect(found[0]?.fault).toBe('rolling_element');
    expect(found.map((f) => f.fault)).not.toContain('inner_race');
  });
});

describe('new bearings on wide carrier bands', () => {
  // A new bearing: the noise modulated at the cage rate by 0.1, 0.08, 0.06 (the load zone turning
  // with the cage), as in bearing-fault-cases' "new bearing, weak cage line" at 20 kHz. Before: on
  // these wide bands its FTF line stood 14–16× above the floor with harmonics, a cage finding 0.82–0.84.
  for (const name of ['paderborn-64k', 'mfpt-97k'])
    it(`${name}: no cage finding for a shallow cage-rate modulation`, () => {
      const r = rig(name);
      const ftfHz = rigBearing(r).ftf * r.shaftHz * 0.99;
      const samples = bearingSignal({
        sampleRateHz: r.sampleRateHz,
        seconds: r.seconds,
        noise: 0.3,
        seed: 1,
        resonanceHz: r.resonanceHz,
        noiseModulations: [{ hz: ftfHz, depths: [0.1, 0.08, 0.06] }],
      });
      expect(bearingFindings(r, samples).map((f) => `${f.fault} ${f.confidence}`)).toEqual([]);
    });
});
