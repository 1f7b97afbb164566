import { describe, expect, it } from 'vitest';
import { rpmRangeFrom, rpmRangeOption } from './rpm-range.js';

describe('rpm ranges as users write them', () => {
  it('reads "min-max", "min..max", an en dash and a [min, max] pair', () => {
    expect(rpmRangeFrom('1700-1800')).toEqual({ min: 1700, max: 1800 });
    expect(rpmRangeFrom(' 1700.5 .. 1800 ')).toEqual({ min: 1700.5, max: 1800 });
    expect(rpmRangeFrom('1700–1800')).toEqual({ min: 1700, max: 1800 });
    expect(rpmRangeFrom([1700, 1800])).toEqual({ min: 1700, max: 1800 });
  });

  it('refuses reversed, empty, negative and other shapes, saying what it expects', () => {
    for (const bad of ['1800-1700', '0-1800', '1700', 'fast', [1700], [1700, '1800'], 1750, null]) {
      expect(rpmRangeFrom(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(() => rpmRangeOption('1800-1700')).toThrow(
      /two positive speeds in rpm, the lower first, e\.g\. 1700-1800/,
    );
  });
});
