import { describe, expect, it } from 'vitest';
import { ZONE_ADVICE } from '../cloud/ui/src/zone-advice.js';
import { ISO_ZONES } from '../shared/schema/features.js';
import { ZONE_URGENCY } from '../shared/urgency.js';

describe('the console says what a zone asks in the words the edge dates tickets by', () => {
  it('mirrors shared/urgency.ts zone by zone', () => {
    for (const zone of ISO_ZONES) expect(ZONE_ADVICE[zone]).toBe(ZONE_URGENCY[zone].advice);
  });
});
