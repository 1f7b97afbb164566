import { describe, expect, it } from 'vitest';
import { dueDate, ZONE_URGENCY } from './urgency.js';

const HOUR = 3_600_000;
const SLA = { critical: 8 * HOUR, high: 72 * HOUR, medium: 336 * HOUR, low: 720 * HOUR };
const T = Date.parse('2026-03-02T08:00:00Z');

describe('one source for severity and due date', () => {
  it('takes the severity SLA when nothing is more urgent', () => {
    expect(dueDate({ severity: 'high', fromMs: T, slaMs: SLA }) - T).toBe(72 * HOUR);
  });

  it('brings the due date to 24 h in zone D, and says so in the same words everywhere', () => {
    expect(dueDate({ severity: 'high', fromMs: T, slaMs: SLA, isoZone: 'D' }) - T).toBe(24 * HOUR);
    expect(ZONE_URGENCY.D.advice).toContain('within 24 h');
    expect(ZONE_URGENCY.D.severity).toBe('high');
    // Zone C does not shorten a medium ticket's 14 days, nor zone A/B anything.
    expect(dueDate({ severity: 'medium', fromMs: T, slaMs: SLA, isoZone: 'C' }) - T).toBe(336 * HOUR);
    expect(dueDate({ severity: 'low', fromMs: T, slaMs: SLA, isoZone: 'B' }) - T).toBe(720 * HOUR);
  });

  it('is due before the earliest predicted crossing, never before it was raised', () => {
    const soon = new Date(T + 40 * HOUR).toISOString();
    expect(
      dueDate({ severity: 'medium', fromMs: T, slaMs: SLA, prediction: { intervalStart: soon } }) - T,
    ).toBe(40 * HOUR);
    const past = new Date(T - 5 * HOUR).toISOString();
    expect(dueDate({ severity: 'medium', fromMs: T, slaMs: SLA, prediction: { intervalStart: past } })).toBe(
      T,
    );
  });

  it('never moves a due date back', () => {
    const earlier = T + 2 * HOUR;
    expect(dueDate({ severity: 'low', fromMs: T, slaMs: SLA, previousDueMs: earlier })).toBe(earlier);
  });
});
