/**
 * What an ISO 20816 zone asks of the engineer, in the same words as the edge's due dates and SOPs
 * (a mirror of `ZONE_URGENCY` in shared/urgency.ts, which this build cannot import;
 * test/zone-advice-mirror.test.ts fails when they differ).
 */
export const ZONE_ADVICE: Record<'A' | 'B' | 'C' | 'D', string> = {
  A: 'acceptable for long-term operation',
  B: 'acceptable for long-term operation',
  C: 'restricted operation: plan the repair within 14 days',
  D: 'damage likely: act within 24 h',
};
