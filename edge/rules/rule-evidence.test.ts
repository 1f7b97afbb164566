import { afterAll, describe, expect, it } from 'vitest';
import { engineHarness, reading, T0, validRules, window } from '../../test/helpers/rules.js';
import { removeTempDirs } from '../../test/helpers/stack.js';
import { MACHINE_CLASSES } from '../signal/iso-20816.js';

afterAll(removeTempDirs);

/** The three demo tickets' rules (rules/vibration.yaml, running-speed.yaml, process.yaml), as the edge evaluates them. */
describe('triggering values name the telemetry series that shows them', () => {
  it('draws an ISO zone ticket as velocity against the boundary of the asset’s machine class', () => {
    const { engine } = engineHarness(
      validRules(`rules:
  - id: zone
    title: Zone C or worse
    when: nde.isoZone >= 'C'
    severity: medium
    fault: threshold
    action: a
`),
      { zoneLimits: (assetId) => (assetId === 'pump-1' ? MACHINE_CLASSES['group1-rigid'] : undefined) },
    );
    engine.onFeatures(window(T0, { channel: 'nde', isoZone: 'D', velocityRmsMmS: 8 }));
    const [fired] = engine.onFeatures(window(T0 + 500));
    expect(fired?.kind).toBe('fire');
    expect(fired?.evidence().triggeringValues[0]?.series).toEqual({
      channel: 'nde',
      field: 'velocityRmsMmS',
      unit: 'mm/s',
      threshold: 4.5, // group 1 rigid: B|C at 4.5 mm/s
    });
  });

  it('draws a finding ticket as its confidence field on the evidence channel', () => {
    const { engine } = engineHarness(
      validRules(`rules:
  - id: unbalance
    title: Unbalance
    when: finding.unbalance >= 0.5
    severity: high
    fault: unbalance
    action: a
`),
    );
    const [fired] = engine.onFeatures(window(T0, { findings: { unbalance: 0.9 } }));
    expect(fired?.evidence().triggeringValues).toEqual([
      {
        metric: 'finding.unbalance',
        value: 0.9,
        threshold: 0.5,
        comparison: '>=',
        series: { channel: 'de', field: 'finding.unbalance', threshold: 0.5 },
      },
    ]);
  });

  it('draws a reading ticket as the value of its reading channel', () => {
    const { engine } = engineHarness(
      validRules(`rules:
  - id: hot
    title: Spindle hot
    when: spindle_temperature > 65
    severity: high
    fault: overheating
    action: a
`),
    );
    const [fired] = engine.onReading(reading(T0, 'spindle_temperature', 80));
    expect(fired?.evidence().triggeringValues[0]?.series).toEqual({
      channel: 'spindle_temperature',
      field: 'value',
      threshold: 65,
    });
  });
});
