import { describe, expect, it } from 'vitest';
import type { AssetHealth } from '../../status/asset-health.js';
import { asksRebirth } from './node-command.js';
import { assetMetrics } from './node-metrics.js';
import { NodePublication, REBIRTH_METRIC } from './node-publication.js';

const healthy: AssetHealth = {
  assetId: 'pump-1',
  state: 'healthy',
  ne107: 'normal',
  isoZone: 'A',
  velocityRmsMmS: 1.2,
  findings: [],
  openTickets: 0,
};

describe('the agent’s Sparkplug metrics', () => {
  it('publishes each asset’s health, NE 107 status, zone, velocity, tickets and findings', () => {
    const metrics = assetMetrics([
      {
        ...healthy,
        state: 'watch',
        ne107: 'maintenance_required',
        findings: [{ fault: 'unbalance', confidence: 0.7 }],
        openTickets: 1,
      },
    ]);
    expect(metrics).toEqual([
      { name: 'Assets/pump-1/Health', type: 'String', value: 'watch' },
      { name: 'Assets/pump-1/NE107', type: 'String', value: 'maintenance_required' },
      { name: 'Assets/pump-1/ISOZone', type: 'String', value: 'A' },
      { name: 'Assets/pump-1/VelocityRms', type: 'Float', value: 1.2 },
      { name: 'Assets/pump-1/OpenTickets', type: 'Int32', value: 1 },
      { name: 'Assets/pump-1/Findings/unbalance', type: 'Float', value: 0.7 },
    ]);
  });

  it('keeps a finding published before at 0 once it is gone; no zone yet is null', () => {
    const metrics = assetMetrics(
      [{ ...healthy, isoZone: undefined as never, findings: [] }],
      new Set(['Assets/pump-1/Findings/misalignment', 'Assets/pump-2/Findings/looseness']),
    );
    expect(metrics.find((m) => m.name === 'Assets/pump-1/ISOZone')?.value).toBeNull();
    expect(metrics.filter((m) => m.name.includes('Findings'))).toEqual([
      { name: 'Assets/pump-1/Findings/misalignment', type: 'Float', value: 0 },
    ]);
  });
});

describe('the agent’s Sparkplug publication', () => {
  it('births every metric with an alias, then sends only what changed by alias, seq counting from the birth', () => {
    const publication = new NodePublication();
    const birth = publication.birth(assetMetrics([healthy]), 7);
    expect(birth.seq).toBe(0);
    expect(birth.metrics.slice(0, 3)).toEqual([
      { name: 'bdSeq', alias: 1, type: 'UInt64', value: 7 },
      { name: 'Node Control/Rebirth', alias: 2, type: 'Boolean', value: false },
      { name: 'Assets/pump-1/Health', alias: 3, type: 'String', value: 'healthy' },
    ]);
    expect(publication.data(assetMetrics([healthy]))).toEqual({ birth: false, seq: 0, metrics: [] });
    expect(publication.data(assetMetrics([{ ...healthy, state: 'watch', openTickets: 1 }]))).toEqual({
      birth: false,
      seq: 1,
      metrics: [
        { alias: 3, type: 'String', value: 'watch' },
        { alias: 7, type: 'Int32', value: 1 },
      ],
    });
  });

  it('wraps seq after 255 and wants a new birth for a metric the birth did not have', () => {
    const publication = new NodePublication();
    publication.birth(assetMetrics([healthy]), 0);
    let last = 0;
    for (let i = 1; i <= 256; i++) {
      const data = publication.data(assetMetrics([{ ...healthy, velocityRmsMmS: i }]));
      if (!data.birth) last = data.seq;
    }
    expect(last).toBe(0);
    const withFinding = assetMetrics([{ ...healthy, findings: [{ fault: 'looseness', confidence: 0.6 }] }]);
    expect(publication.data(withFinding)).toEqual({ birth: true });
    // The new birth keeps the old aliases and adds one.
    const rebirth = publication.birth(withFinding, 1);
    expect(rebirth.metrics.find((m) => m.name === 'Assets/pump-1/Health')?.alias).toBe(3);
    expect(rebirth.metrics.find((m) => m.name === 'Assets/pump-1/Findings/looseness')?.alias).toBe(8);
  });
});

describe('an NCMD to the agent’s edge node', () => {
  it('asks for a rebirth with Node Control/Rebirth = true by name, or by the alias its NBIRTH declared, and by no other', () => {
    const publication = new NodePublication();
    expect(publication.declaredAlias(REBIRTH_METRIC)).toBeUndefined();
    publication.birth(assetMetrics([healthy]), 0);
    const alias = publication.declaredAlias(REBIRTH_METRIC);
    const healthAlias = publication.declaredAlias('Assets/pump-1/Health');
    expect(alias).toBe(2);
    expect(healthAlias).toBe(3);
    expect(publication.declaredAlias('Assets/fan-9/Health')).toBeUndefined();

    expect(asksRebirth([{ name: REBIRTH_METRIC, type: 'Boolean', value: true }], alias)).toBe(true);
    expect(asksRebirth([{ alias, type: 'Boolean', value: true }], alias)).toBe(true);
    expect(asksRebirth([{ alias, type: 'Boolean', value: false }], alias)).toBe(false);
    expect(asksRebirth([{ alias: healthAlias, type: 'Boolean', value: true }], alias)).toBe(false);
    // Before a birth no alias stands for the rebirth control.
    expect(asksRebirth([{ alias: 2, type: 'Boolean', value: true }], undefined)).toBe(false);
  });
});
