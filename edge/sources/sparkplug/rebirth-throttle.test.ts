import { describe, expect, it } from 'vitest';
import { RebirthThrottle } from './rebirth-throttle.js';

describe('rebirth throttle', () => {
  it('asks each node at most once per interval, nodes independently', () => {
    const throttle = new RebirthThrottle(5000);
    expect(throttle.mayAsk('g/a', 1000)).toBe(true);
    expect(throttle.mayAsk('g/a', 1001)).toBe(false);
    expect(throttle.mayAsk('g/b', 1001)).toBe(true);
    expect(throttle.mayAsk('g/a', 5999)).toBe(false);
    expect(throttle.mayAsk('g/a', 6000)).toBe(true);
  });
});
