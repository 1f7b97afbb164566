import { describe, expect, it } from 'vitest';
import { implausibleTime } from './plausible-time.js';

const NOW = Date.parse('2026-12-03T08:00:00Z');

describe('plausible measurement times', () => {
  it('accepts the past since 2000 and up to a day ahead', () => {
    expect(implausibleTime('ts', NOW, NOW)).toBeUndefined();
    expect(implausibleTime('ts', Date.UTC(2000, 0, 1), NOW)).toBeUndefined();
    expect(implausibleTime('ts', NOW + 86_400_000, NOW)).toBeUndefined();
  });

  it('names the field, the year and the likely unit mistake', () => {
    expect(implausibleTime('ts', NOW * 1000, NOW)).toMatch(
      /^ts \d+ is in the year \d{5}, more than input.maxFutureSkew \(1d\) ahead of the gateway's clock: looks like microseconds since epoch; send epoch milliseconds \(divide by 1000\)$/,
    );
    expect(implausibleTime('ts', NOW * 1_000_000, NOW)).toMatch(
      /beyond any calendar, .*looks like nanoseconds since epoch/,
    );
    expect(implausibleTime('ts', Math.floor(NOW / 1000), NOW)).toBe(
      `ts ${Math.floor(NOW / 1000)} is in the year 1970, before input.earliest (2000-01-01): looks like seconds since epoch; send epoch milliseconds (multiply by 1000)`,
    );
    expect(implausibleTime('sourceTimestamp', NOW + 3 * 86_400_000, NOW)).toMatch(
      /^sourceTimestamp \d+ is in the year 2026, .*: check the sender's clock \(NTP\)$/,
    );
  });

  it('uses the configured window', () => {
    const window = { maxFutureSkewMs: 300_000, earliestMs: Date.UTC(2024, 0, 1) };
    expect(implausibleTime('ts', NOW + 600_000, NOW, window)).toContain('input.maxFutureSkew (5m)');
    expect(implausibleTime('ts', Date.UTC(2023, 5, 1), NOW, window)).toContain(
      'before input.earliest (2024-01-01)',
    );
  });
});
