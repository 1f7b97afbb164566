import type { TrendSeriesRef, TriggeringValue } from './types.js';

/**
 * Which telemetry series shows a triggering value, for tickets from gateways that did not name it
 * (`series` is newer). A mirror of shared/trend-series.ts, which this build cannot import:
 * test/trend-series-mirror.test.ts fails when the two disagree on a name.
 */

export const ZONE_INDEX_FIELD = 'isoZoneIndex';
export const ZONE_LETTERS = ['A', 'B', 'C', 'D'] as const;

const FEATURE_FIELDS: ReadonlySet<string> = new Set([
  'accelRms',
  'accelPeak',
  'velocityRmsMmS',
  'crestFactor',
  'kurtosis',
  'order1xMmS',
  'order2xMmS',
  'order3xMmS',
  'bpfoEnvelopeSnr',
  'bpfiEnvelopeSnr',
  'bsfEnvelopeSnr',
  'ftfEnvelopeSnr',
  'rpm',
]);

const DECORATION = / \(trend level\)$/;

/** The zone (index into A…D) where a comparison against a zone letter starts to hold. */
function boundaryZone(threshold: string, comparison: string): number | undefined {
  const index = (ZONE_LETTERS as readonly string[]).indexOf(threshold);
  if (index < 0 || comparison === '!=') return undefined;
  const zone = comparison === '>' || comparison === '<=' ? index + 1 : index;
  return zone >= 1 && zone < ZONE_LETTERS.length ? zone : undefined;
}

/**
 * The series of a value the edge did not name. The console does not know the asset's machine class,
 * so an ISO zone is drawn as its index (A = 0 … D = 3) with the zone letters on the axis.
 */
export function fallbackSeries(
  value: Pick<TriggeringValue, 'metric' | 'threshold' | 'comparison'>,
  evidenceChannel: string,
): TrendSeriesRef | undefined {
  const metric = value.metric.replace(DECORATION, '');
  const dot = metric.indexOf('.');
  const prefix = dot < 0 ? undefined : metric.slice(0, dot);
  const name = dot < 0 ? metric : metric.slice(dot + 1);
  const numericThreshold = typeof value.threshold === 'number' ? { threshold: value.threshold } : {};
  if (prefix === 'finding')
    return { channel: evidenceChannel, field: `finding.${name}`, ...numericThreshold };
  const channel = prefix ?? evidenceChannel;
  if (name === 'isoZone') {
    const zone =
      typeof value.threshold === 'string' ? boundaryZone(value.threshold, value.comparison) : undefined;
    return { channel, field: ZONE_INDEX_FIELD, ...(zone === undefined ? {} : { threshold: zone }) };
  }
  if (FEATURE_FIELDS.has(name)) return { channel, field: name, ...numericThreshold };
  if (prefix !== undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return undefined;
  return { channel: name, field: 'value', ...numericThreshold };
}

/** The series the ticket names, else the one derived from its name. */
export const seriesOf = (value: TriggeringValue, evidenceChannel: string): TrendSeriesRef | undefined =>
  value.series ?? fallbackSeries(value, evidenceChannel);
