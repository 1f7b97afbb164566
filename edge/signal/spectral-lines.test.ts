import { describe, expect, it } from 'vitest';
import { LineFinder } from './spectral-lines.js';

/** The noise floor as specified: the sorted neighbourhood's middle element, main lobe left out. */
function referenceFloor(
  spectrum: Float64Array,
  first: number,
  guard: number,
  bin: number,
  binHz: number,
  hz: number,
) {
  const halfWidth = Math.max(40, Math.ceil((0.5 * hz) / binHz));
  const values: number[] = [];
  for (let k = Math.max(first + 1, bin - halfWidth); k <= Math.min(spectrum.length - 1, bin + halfWidth); k++)
    if (Math.abs(k - bin) > guard) values.push(spectrum[k]!);
  if (values.length === 0) return 0;
  return Float64Array.from(values).sort()[values.length >> 1]!;
}

describe('LineFinder noise floor', () => {
  it('is the exact median of the neighbourhood, whatever the spectrum holds', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const kinds = [
      () => random(),
      () => Math.floor(random() * 4), // ties and zeros
      () => Math.exp(random() * 40 - 20), // many octaves
      () => 1 + random() * 1e-12, // one bucket's worth
      () => (random() < 0.02 ? -random() : random()), // a negative value: the quickselect decides
      () => (random() < 0.02 ? Number.NaN : random()),
      () => (random() < 0.02 ? Number.POSITIVE_INFINITY : random()),
    ];
    for (let trial = 0; trial < 3000; trial++) {
      const kind = kinds[trial % kinds.length]!;
      const spectrum = Float64Array.from({ length: 50 + Math.floor(random() * 1500) }, kind);
      const binHz = 0.5 + random() * 4;
      const finder = new LineFinder(spectrum, binHz, 1 + Math.floor(random() * 4), 2);
      const bin = 5 + Math.floor(random() * (spectrum.length - 10));
      const hz = random() * spectrum.length * binHz;
      const floor = finder.noiseFloor(bin, hz);
      if (spectrum.some((v) => Number.isNaN(v))) continue; // no order to check against
      expect(
        Object.is(
          floor,
          referenceFloor(
            spectrum,
            (finder as unknown as { firstUsableBin: number }).firstUsableBin,
            2,
            bin,
            binHz,
            hz,
          ),
        ),
        `trial ${trial}`,
      ).toBe(true);
    }
  });
});
