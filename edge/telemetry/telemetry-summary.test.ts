import { describe, expect, it } from 'vitest';
import type { Features } from '../../shared/schema/index.js';
import { TelemetrySummary, featureFields } from './telemetry-summary.js';

const window = (ts: number, extra: Partial<Features> = {}): Features => ({
  ts,
  assetId: 'pump-1',
  channel: 'de',
  windowStart: ts - 1000,
  windowEnd: ts,
  sampleRateHz: 12_800,
  accelUnit: 'g',
  accelRms: 0.5,
  accelPeak: 2,
  velocityRmsMmS: 3,
  crestFactor: 4,
  kurtosis: 3,
  ...extra,
});

describe('featureFields: diagnosis findings', () => {
  it('adds every diagnosed fault as finding.<fault>, absent ones as 0', () => {
    const fields = featureFields(window(1000, { findings: { unbalance: 0.92 } }));
    expect(fields['finding.unbalance']).toBe(0.92);
    expect(fields['finding.outer_race']).toBe(0);
    expect(fields['finding.sensor_fault']).toBe(0);
    // Faults only rules raise are not the diagnosis's to deny.
    expect(fields).not.toHaveProperty('finding.overheating');
    expect(fields).not.toHaveProperty('finding.threshold');
  });

  it('adds no finding fields to a window the diagnosis did not judge', () => {
    const fields = featureFields(window(1000, { isoZone: 'C' }));
    expect(Object.keys(fields).filter((name) => name.startsWith('finding.'))).toEqual([]);
    expect(fields.isoZoneIndex).toBe(2);
  });

  it('averages a finding over the interval like any field', () => {
    const summary = new TelemetrySummary('site-a', 10_000);
    summary.addFeatures(window(1000, { findings: { unbalance: 0.8 } }), 0);
    summary.addFeatures(window(2000, { findings: {} }), 0);
    const [point] = summary.drain();
    expect(point?.fields['finding.unbalance']).toBeCloseTo(0.4, 10);
    expect(point?.fields['finding.looseness']).toBe(0);
  });
});
