import { describe, expect, it } from 'vitest';
import { skipAfterStalls } from './skip-after-stalls.js';

describe('a periodic check after the agent stalled', () => {
  it('runs on time, skips the one run that comes late, and runs again on the next', () => {
    let clock = 0;
    let runs = 0;
    const tick = skipAfterStalls(
      () => runs++,
      1000,
      () => clock,
    );
    for (const at of [1000, 2010, 2990]) {
      clock = at;
      tick();
    }
    expect(runs).toBe(3);
    clock = 7000; // the event loop was blocked for 4 s
    tick();
    expect(runs).toBe(3);
    clock = 8000;
    tick();
    expect(runs).toBe(4);
  });
});
