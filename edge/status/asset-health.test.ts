import { describe, expect, it } from 'vitest';
import type { Features, Ticket } from '../../shared/schema/index.js';
import { assetHealth } from './asset-health.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const features = (assetId: string, extra: Partial<Features>): Features => ({
  ts: NOW,
  assetId,
  channel: 'de',
  windowStart: NOW - 1000,
  windowEnd: NOW,
  sampleRateHz: 25_600,
  accelUnit: 'g',
  accelRms: 0.5,
  accelPeak: 2,
  velocityRmsMmS: 2,
  crestFactor: 4,
  kurtosis: 3,
  ...extra,
});
const ticket = (assetId: string, severity: Ticket['severity']) => ({ assetId, severity }) as Ticket;

describe('asset health', () => {
  it('names each asset’s state in words and as NE 107, from zone, findings, tickets and data age', () => {
    const health = assetHealth({
      assetIds: ['fan', 'pump', 'press', 'silent', 'motor'],
      latestFeatures: [
        features('pump', { isoZone: 'D', velocityRmsMmS: 12.1 }),
        features('press', { isoZone: 'B', findings: { outer_race: 0.8, unbalance: 0.2 } }),
        features('fan', { isoZone: 'C' }),
        features('motor', { isoZone: 'A' }),
      ],
      channels: [
        { assetId: 'pump', lastGoodAt: NOW - 1000 },
        { assetId: 'press', lastGoodAt: NOW - 1000 },
        { assetId: 'fan', lastGoodAt: NOW - 1000 },
        { assetId: 'motor', lastGoodAt: NOW - 1000 },
        { assetId: 'silent', lastGoodAt: NOW - 600_000 },
        // A mapped channel watched since boot that never delivered: not current data.
        { assetId: 'mapped', lastGoodAt: NOW - 1000, heard: false },
      ],
      openTickets: [ticket('pump', 'high'), ticket('press', 'medium')],
      now: NOW,
      staleAfterMs: 60_000,
    });
    expect(health.map((h) => [h.assetId, h.state, h.ne107])).toEqual([
      ['fan', 'watch', 'out_of_specification'],
      ['mapped', 'unknown', 'check_function'],
      ['motor', 'healthy', 'normal'],
      ['press', 'watch', 'maintenance_required'],
      ['pump', 'alarm', 'failure'],
      ['silent', 'unknown', 'check_function'],
    ]);
    const press = health.find((h) => h.assetId === 'press');
    expect(press?.findings).toEqual([
      { fault: 'outer_race', confidence: 0.8 },
      { fault: 'unbalance', confidence: 0.2 },
    ]);
    expect(health.find((h) => h.assetId === 'pump')).toMatchObject({
      isoZone: 'D',
      velocityRmsMmS: 12.1,
      openTickets: 1,
      worstSeverity: 'high',
    });
  });
});
