import { describe, expect, it } from 'vitest';
import { NE107_CODES, ne107Code } from './ne107.js';
import { measuredQuality } from './value-quality.js';

describe('NE 107 codes', () => {
  it('number the statuses by urgency: 0 normal, 1 maintenance, 2 out of spec, 3 check function, 4 failure', () => {
    expect(ne107Code('normal')).toBe(0);
    expect(ne107Code('maintenance_required')).toBe(1);
    expect(ne107Code('out_of_specification')).toBe(2);
    expect(ne107Code('check_function')).toBe(3);
    expect(ne107Code('failure')).toBe(4);
    expect(Object.keys(NE107_CODES)).toHaveLength(5);
  });
});

describe('quality of a measured value', () => {
  const NOW = 1_000_000;
  it('is Good while fresh, the last usable value once stale, and no communication when never seen', () => {
    expect(measuredQuality({ lastDataAt: NOW - 1000 }, true, NOW, 60_000)).toBe('Good');
    expect(measuredQuality({ lastDataAt: NOW - 60_001 }, true, NOW, 60_000)).toBe('UncertainLastUsableValue');
    expect(measuredQuality({}, true, NOW, 60_000)).toBe('BadNoCommunication');
    // Data came, but nothing of this kind yet (an asset without a vibration channel has no zone).
    expect(measuredQuality({ lastDataAt: NOW }, false, NOW, 60_000)).toBe('BadWaitingForInitialData');
  });
});
