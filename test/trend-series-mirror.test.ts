import { describe, expect, it } from 'vitest';
import { fallbackSeries } from '../cloud/ui/src/trend-series.js';
import { FEATURE_METRICS } from '../shared/schema/features.js';
import { FAULTS } from '../shared/schema/fault.js';
import type { TriggeringValue } from '../shared/schema/ticket.js';
import { trendSeriesOf } from '../shared/trend-series.js';

type Named = Pick<TriggeringValue, 'metric' | 'threshold' | 'comparison'>;

/** Every kind of name a rule can put on a ticket, and a few it cannot. */
const NAMES: Named[] = [
  ...[...FEATURE_METRICS, 'rpm'].map((metric) => ({ metric, threshold: 4.5, comparison: '>' as const })),
  ...FEATURE_METRICS.map((m) => ({ metric: `nde.${m}`, threshold: 2, comparison: '>=' as const })),
  ...FAULTS.map((f) => ({ metric: `finding.${f}`, threshold: 0.5, comparison: '>=' as const })),
  ...(['>', '>=', '<', '<=', '==', '!='] as const).flatMap((comparison) =>
    ['A', 'B', 'C', 'D'].flatMap((zone) => [
      { metric: 'isoZone', threshold: zone, comparison },
      { metric: 'de.isoZone', threshold: zone, comparison },
    ]),
  ),
  { metric: 'spindle_temperature', threshold: 65, comparison: '>' },
  { metric: 'coolant_flow', threshold: 12, comparison: '<' },
  { metric: 'velocityRmsMmS (trend level)', threshold: 4.5, comparison: '<' },
  { metric: 'spindle_temperature (trend level)', threshold: 80, comparison: '<' },
  { metric: 'de silence', threshold: 30, comparison: '>' },
  { metric: 'de.temperature', threshold: 30, comparison: '>' },
];

describe("the console's trend-series mirror", () => {
  it.each(NAMES.map((n) => [`${n.metric} ${n.comparison} ${n.threshold}`, n] as const))(
    'agrees with shared/trend-series.ts (no zone limits) on %s',
    (_label, named) => {
      expect(fallbackSeries(named, 'de')).toEqual(trendSeriesOf(named, { channel: 'de' }));
    },
  );
});
