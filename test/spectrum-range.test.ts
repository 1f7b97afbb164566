import { describe, expect, it } from 'vitest';
import {
  defaultRange,
  harmonicsOf,
  nearestPeakHz,
  pan,
  resampleOnto,
  shaftHzOf,
  snapToMark,
} from '../cloud/ui/src/spectrum-range.js';

const marks = [
  { label: '1×', hz: 29.67 },
  { label: '2×', hz: 59.33 },
  { label: 'BPFO', hz: 106.35 },
];

describe("the spectrum chart's view arithmetic", () => {
  it('opens on max(highest mark ×1.2, 10× shaft rate), inside the snapshot; all of it when nothing is known', () => {
    expect(defaultRange(1000, marks, 29.67)[1]).toBeCloseTo(296.7, 9);
    expect(defaultRange(1000, [...marks, { label: 'BPFI', hz: 400 }], 29.67)).toEqual([0, 480]);
    expect(defaultRange(200, marks, 29.67)).toEqual([0, 200]);
    expect(defaultRange(1000, [])).toEqual([0, 1000]);
  });

  it('reads the shaft rate from the 1× mark, or another order', () => {
    expect(shaftHzOf(marks)).toBe(29.67);
    expect(shaftHzOf([{ label: '2×', hz: 60 }])).toBe(30);
    expect(shaftHzOf([{ label: 'BPFO', hz: 106 }])).toBeUndefined();
  });

  it('pans by a fraction of the view and stops at either end', () => {
    expect(pan([100, 200], [0, 1000], 0.5)).toEqual([150, 250]);
    expect(pan([900, 1000], [0, 1000], 0.5)).toEqual([900, 1000]);
    expect(pan([20, 120], [0, 1000], -0.5)).toEqual([0, 100]);
  });

  it('finds the line a click meant and snaps a marked one to its mark', () => {
    const snapshot = {
      binHz: 1,
      unit: 'mm/s',
      amplitudes: Array.from({ length: 100 }, (_, i) => (i === 30 ? 1 : 0.01)),
    };
    expect(nearestPeakHz(snapshot, 33, 4)).toBe(30);
    expect(nearestPeakHz(snapshot, 40, 4)).toBe(40); // nothing taller in reach: where it was clicked
    expect(snapToMark(30, marks, 1)).toBe(29.67);
    expect(snapToMark(45, marks, 1)).toBe(45);
    expect(harmonicsOf(29.67, 3)).toEqual([29.67, 59.34, 89.01]);
  });

  it("lays an earlier snapshot on this one's frequencies without losing a peak", () => {
    const fine = { binHz: 0.5, unit: 'mm/s', amplitudes: [0, 0, 0, 0.9, 0, 0, 0] }; // 0.9 at 1.5 Hz
    expect(resampleOnto(fine, [0, 1, 2, 3, 4])).toEqual([0, 0.9, 0.9, 0, null]);
    const coarse = { binHz: 2, unit: 'mm/s', amplitudes: [0, 0.7, 0] }; // 0.7 at 2 Hz
    expect(resampleOnto(coarse, [0, 1.2, 2.4, 3.6])).toEqual([0, 0.7, 0.7, 0]); // nearest earlier bin
  });
});
