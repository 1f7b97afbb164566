import { describe, expect, it } from 'vitest';
import { diagnoseRecord } from './diagnosis.js';
import { FEATURE_ORDER, runningSpeedFindings, runningSpeedLines } from './running-speed-diagnosis.js';

const FS = 6400;
const SHAFT_HZ = 25;

/** Velocity amplitude per bin with lines at the given orders over a low floor. */
function velocityWithLines(bins: number, binHz: number, orders: number[]): Float64Array {
  const velocity = Float64Array.from({ length: bins }, (_, k) => 0.01 * (1 + ((k * 7919) % 13) / 13));
  for (const order of orders) velocity[Math.round((order * SHAFT_HZ) / binHz)] = 1 / order;
  return velocity;
}

describe('running-speed lines', () => {
  it('looks only up to the feature orders when asked, with the same 1×, 2× and 3×', () => {
    const binHz = FS / 8192;
    const velocity = velocityWithLines(4097, binHz, [1, 2, 3, 4, 5, 6]);
    const all = runningSpeedLines(velocity, binHz, SHAFT_HZ);
    const features = runningSpeedLines(velocity, binHz, SHAFT_HZ, FEATURE_ORDER);
    expect(Math.max(...all.lines.keys())).toBe(10);
    expect(Math.max(...features.lines.keys())).toBe(FEATURE_ORDER);
    for (const order of [1, 2, 3]) {
      expect(features.velocityMmS.get(order)).toBe(all.velocityMmS.get(order));
      expect(features.velocityMmS.get(order)).toBeGreaterThan(0);
    }
  });

  it('reads only the lines a finding can use when asked, with the same findings and features', () => {
    const binHz = FS / 8192;
    let seed = 3;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const orders = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10];
    for (let trial = 0; trial < 200; trial++) {
      const present = orders.filter(() => random() < 0.5);
      const velocity = velocityWithLines(4097, binHz, present);
      // Line heights from far below to above a tenth of 1×, so both sides of the cut are exercised.
      for (const order of present)
        velocity[Math.round((order * SHAFT_HZ) / binHz)] = 0.005 + random() * (order === 1 ? 1 : 0.4);
      for (const zone of ['C', 'D'] as const) {
        const all = runningSpeedLines(velocity, binHz, SHAFT_HZ);
        const read = runningSpeedLines(velocity, binHz, SHAFT_HZ, undefined, true);
        const overall = 2 + random() * 5;
        expect(runningSpeedFindings(read, overall, zone, 'group2-rigid', SHAFT_HZ)).toEqual(
          runningSpeedFindings(all, overall, zone, 'group2-rigid', SHAFT_HZ),
        );
      }
      const features = runningSpeedLines(velocity, binHz, SHAFT_HZ, FEATURE_ORDER, true);
      for (const order of [1, 2, 3])
        expect(features.velocityMmS.get(order)).toBe(
          runningSpeedLines(velocity, binHz, SHAFT_HZ).velocityMmS.get(order),
        );
    }
  });

  it('a zone-A machine reports its 1×–3× features as before, and no running-speed finding', () => {
    const random = (() => {
      let state = 5;
      return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.002;
    })();
    const samples = Float64Array.from(
      { length: 4 * FS },
      (_, i) =>
        0.002 * Math.sin((2 * Math.PI * SHAFT_HZ * i) / FS) +
        0.0008 * Math.sin((2 * Math.PI * 2 * SHAFT_HZ * i) / FS) +
        random(),
    );
    const diagnosis = diagnoseRecord(samples, { sampleRateHz: FS, rpm: SHAFT_HZ * 60, unit: 'g' });
    expect(diagnosis.features.isoZone).toBe('A');
    expect(diagnosis.findings).toEqual([]);
    expect(diagnosis.features.runningSpeedMmS['1x']).toBeGreaterThan(0);
    expect(diagnosis.features.runningSpeedMmS['2x']).toBeGreaterThan(0);
  });
});
