import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../shared/schema/index.js';
import { HeldValues } from './held-values.js';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const speed = (value: number, ts: number, quality: Reading['quality'] = 'good'): Reading => ({
  ts,
  assetId: 'cnc-1',
  channel: 'spindle_speed',
  value,
  unit: 'rpm',
  quality,
});

describe('held OPC-UA values', () => {
  it('refreshes a steady good value once per keep-alive period, in the node’s own clock', () => {
    const node = {};
    const held = new HeldValues(1000);
    // The PLC's clock runs 5 min behind the gateway's: the refreshed time follows the PLC's.
    const plcTs = T0 - 300_000;
    expect(held.received(node, speed(12_000, plcTs), T0)).toEqual(speed(12_000, plcTs));
    expect(held.confirmed(T0 + 400)).toEqual([]);
    expect(held.confirmed(T0 + 1200)).toEqual([speed(12_000, plcTs + 1200)]);
    expect(held.confirmed(T0 + 1500)).toEqual([]);
    expect(held.confirmed(T0 + 2300)).toEqual([speed(12_000, plcTs + 2300)]);
  });

  it('confirms on every keep-alive even when they arrive a little early', () => {
    // Keep-alives every 1 s ± 3 %: with a whole period as the minimum, each early one was skipped and
    // the value went two periods (about 2 s, a noData limit) without a confirmation.
    const node = {};
    const held = new HeldValues(1000);
    held.received(node, speed(12_000, T0), T0);
    let last = T0;
    let longestGap = 0;
    let wall = T0;
    for (let k = 0; k < 200; k++) {
      wall += 1000 + (k % 2 === 0 ? -30 : 30);
      if (held.confirmed(wall).length > 0) {
        longestGap = Math.max(longestGap, wall - last);
        last = wall;
      }
    }
    expect(longestGap).toBeLessThanOrEqual(1030);
    expect(last).toBe(wall);
  });

  it('takes a re-delivered sample (a poll, a new subscription) as a confirmation, a new one as a change', () => {
    const node = {};
    const held = new HeldValues(1000);
    held.received(node, speed(12_000, T0), T0);
    expect(held.received(node, speed(12_000, T0), T0 + 4000)).toEqual(speed(12_000, T0 + 4000));
    expect(held.received(node, speed(11_990, T0 + 4100), T0 + 4100)).toEqual(speed(11_990, T0 + 4100));
  });

  it('ends the hold on a status that is not good, and when the connection ends', () => {
    const node = {};
    const held = new HeldValues(1000);
    held.received(node, speed(12_000, T0), T0);
    held.received(node, speed(12_000, T0 + 100, 'bad'), T0 + 100);
    expect(held.confirmed(T0 + 5000)).toEqual([]);
    held.received(node, speed(12_000, T0 + 200), T0 + 200);
    held.clear();
    expect(held.confirmed(T0 + 5000)).toEqual([]);
  });

  it('stops holding a node unchanged past its maxSilence, while its neighbours stay held', () => {
    const frozen = { maxSilenceMs: 3000 };
    const steady = {};
    const held = new HeldValues(1000);
    held.received(frozen, { ...speed(8, T0), channel: 'coolant_flow' }, T0);
    held.received(steady, speed(12_000, T0), T0);
    expect(held.confirmed(T0 + 2000).map((r) => r.channel)).toEqual(['coolant_flow', 'spindle_speed']);
    expect(held.confirmed(T0 + 4000).map((r) => r.channel)).toEqual(['spindle_speed']);
    // A re-delivery of the frozen sample is not handed on either: it would count as a live value.
    expect(held.received(frozen, { ...speed(8, T0), channel: 'coolant_flow' }, T0 + 4100)).toBeUndefined();
  });
});
