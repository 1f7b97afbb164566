import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { diagnoseRecord } from './diagnosis.js';
import { STANDARD_GRAVITY } from './time-domain.js';

/** Deterministic noise, so a failing case fails the same way every run. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
}

/**
 * A pump's 1× at 29.7 Hz carrying 1.2 mm/s RMS, measured in g by an accelerometer with a small DC
 * offset and a slow drift: what integrating to velocity blows up at the lowest bins.
 */
function pumpWithDrift(fs: number, seconds: number): Float64Array {
  const hz = 29.7;
  const velocityPeakMS = 1.2e-3 * Math.SQRT2;
  const accelPeakG = (2 * Math.PI * hz * velocityPeakMS) / STANDARD_GRAVITY;
  const random = noise(11);
  return Float64Array.from({ length: Math.round(fs * seconds) }, (_, i) => {
    const t = i / fs;
    return (
      0.02 +
      0.01 * Math.sin(2 * Math.PI * 0.7 * t) +
      accelPeakG * Math.sin(2 * Math.PI * hz * t) +
      1e-4 * random()
    );
  });
}

describe('velocity spectrum snapshot', () => {
  it('carries no integration blow-up below the velocity band: its largest line is the 1×', () => {
    const fs = 5120;
    const { snapshots } = diagnoseRecord(pumpWithDrift(fs, 4), {
      sampleRateHz: fs,
      rpm: 1782,
      unit: 'g',
    });
    const { amplitudes, binHz, unit } = snapshots.velocity;
    expect(unit).toBe('mm/s');
    const largest = amplitudes.indexOf(Math.max(...amplitudes));
    expect(Math.abs(largest * binHz - 29.7)).toBeLessThanOrEqual(binHz);
    expect(amplitudes[largest]).toBeGreaterThan(1.1);
    expect(amplitudes[largest]).toBeLessThan(1.3);
    const below = amplitudes.filter((_, k) => k * binHz < 10);
    expect(below.length).toBeGreaterThan(0);
    expect(Math.max(...below)).toBeLessThan(0.05 * amplitudes[largest]!);
  });

  it('keeps the 1× of a slow machine below the band: the cut moves to half the shaft rate', () => {
    const fs = 2048;
    const samples = Float64Array.from(
      { length: fs * 16 },
      (_, i) => 0.01 * Math.sin((2 * Math.PI * 5 * i) / fs),
    );
    const { amplitudes, binHz } = diagnoseRecord(samples, { sampleRateHz: fs, rpm: 300, unit: 'g' }).snapshots
      .velocity;
    const largest = amplitudes.indexOf(Math.max(...amplitudes));
    expect(Math.abs(largest * binHz - 5)).toBeLessThanOrEqual(binHz);
    expect(amplitudes.filter((_, k) => k * binHz < 2.5).every((a) => a === 0)).toBe(true);
  });
});

describe('envelope spectrum snapshot marks', () => {
  it("marks each defect's fundamental and the race defects' second harmonic", () => {
    const fs = 12_800;
    const samples = Float64Array.from(
      { length: fs * 2 },
      (_, i) => 0.01 * Math.sin((2 * Math.PI * 3000 * i) / fs),
    );
    const { snapshots } = diagnoseRecord(samples, {
      sampleRateHz: fs,
      rpm: 1780,
      unit: 'g',
      bearing: defectMultiples(catalogBearing('skf-6205').geometry),
    });
    const marks = snapshots.envelope?.marks ?? [];
    const at = (label: string) => marks.find((m) => m.label === label)?.hz;
    // SKF 6205 at 1780 rpm: BPFO 3.5848 × 29.667 Hz.
    expect(at('BPFO')).toBeCloseTo(106.35, 1);
    expect(at('2×BPFO')).toBeCloseTo(2 * 106.35, 1);
    expect(at('2×BPFI')).toBeCloseTo(2 * 5.4152 * (1780 / 60), 1);
    expect(marks.map((m) => m.label)).not.toContain('2×FTF');
  });
});
