import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundToSignificant } from './significant.js';

const reference = (value: number, digits: number) => Number(value.toPrecision(digits));

describe('rounding to significant digits', () => {
  it('gives exactly what toPrecision gives, for any double and digit count', () => {
    fc.assert(
      fc.property(fc.double(), fc.integer({ min: 1, max: 8 }), (value, digits) => {
        expect(Object.is(roundToSignificant(value, digits), reference(value, digits))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees at decimal ties, decades and the doubles beside them', () => {
    for (let exponent = -12; exponent <= 12; exponent++) {
      for (let mantissa = 1; mantissa < 2000; mantissa += 1) {
        const value = mantissa * 10 ** exponent;
        for (const nearby of [
          value,
          value * (1 + 2 ** -52),
          value * (1 - 2 ** -53),
          value + value / 2000,
          -value,
        ]) {
          for (const digits of [3, 4])
            expect(roundToSignificant(nearby, digits)).toBe(reference(nearby, digits));
        }
      }
    }
    for (const value of [0.1235, 2.675, 1.005, 9.995, 9.9995, 0.0005, 999.95, 1e-7, 1e15, 5e-324]) {
      for (const digits of [1, 2, 3, 4, 5])
        expect(roundToSignificant(value, digits)).toBe(reference(value, digits));
    }
    for (const value of [0, -0, NaN, Infinity, -Infinity])
      expect(Object.is(roundToSignificant(value, 3), reference(value, 3))).toBe(true);
  });
});
