import { afterEach, describe, expect, it, vi } from 'vitest';
import { PrimaryHostState } from './primary-host-state.js';

afterEach(() => vi.useRealTimers());

describe('the primary host’s STATE timestamps', () => {
  it('gives each connection’s will a later timestamp than the last, also within one millisecond', () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const state = new PrimaryHostState('scada-1');
    const stamp = () =>
      (JSON.parse(state.nextWill().payload.toString()) as { online: boolean; timestamp: number }).timestamp;
    const first = stamp();
    const second = stamp();
    const third = stamp();
    expect(first).toBeGreaterThanOrEqual(1_800_000_000_000);
    expect(second).toBe(first + 1);
    expect(third).toBe(first + 2);
    // Once the clock has moved past them, the clock again.
    vi.setSystemTime(1_800_000_001_000);
    expect(stamp()).toBe(1_800_000_001_000);
  });
});
