import { FEATURE_METRICS, ISO_ZONES } from './schema/features.js';
import type { TrendSeriesRef, TriggeringValue } from './schema/ticket.js';

/**
 * One name for a trendable quantity. Rules speak of signals (`velocityRmsMmS`, `de.isoZone`,
 * `finding.unbalance`, `spindle_temperature`); telemetry stores fields per channel. This module says
 * which telemetry series shows a rule's signal, so the edge (which writes both the tickets and the
 * telemetry) can name it on the ticket, and the console can chart it.
 *
 * cloud/ui/src/trend-series.ts mirrors it for older tickets (the console cannot import shared/);
 * test/trend-series-mirror.test.ts checks that both agree.
 */

/** The field a diagnosis finding's confidence (0..1) is stored under: `finding.<fault>`. */
export const FINDING_FIELD_PREFIX = 'finding.';
export const findingField = (fault: string): string => `${FINDING_FIELD_PREFIX}${fault}`;

/** The field a scalar reading (a temperature, a flow) is stored under, on its own channel. */
export const READING_FIELD = 'value';

/** The ISO zone as a number: A = 0 … D = 3. */
export const ZONE_INDEX_FIELD = 'isoZoneIndex';

/** ISO 20816 zone boundaries of one machine class, in mm/s: A|B, B|C, C|D. */
export interface ZoneLimits {
  ab: number;
  bc: number;
  cd: number;
}

const FEATURE_FIELDS: ReadonlySet<string> = new Set<string>([...FEATURE_METRICS, 'rpm']);

/** Signal names that are not telemetry: what a trend rule's or a silence check's value is called. */
const DECORATION = / \(trend level\)$/;

/**
 * The zone a comparison against a zone letter starts to hold at (`>= 'C'` → C, `> 'B'` → C), as an
 * index into A…D; undefined when no single boundary says it (`!=`, or beyond D).
 */
function boundaryZone(threshold: string, comparison: TriggeringValue['comparison']): number | undefined {
  const index = (ISO_ZONES as readonly string[]).indexOf(threshold);
  if (index < 0 || comparison === '!=') return undefined;
  const zone = comparison === '>' || comparison === '<=' ? index + 1 : index;
  return zone >= 1 && zone < ISO_ZONES.length ? zone : undefined;
}

export interface SeriesContext {
  /** The channel the ticket's evidence is on: where a bare feature or a finding is measured. */
  channel: string;
  /** The asset's zone boundaries; without them an ISO zone is drawn as its index, A = 0 … D = 3. */
  zoneLimits?: ZoneLimits;
}

/**
 * The telemetry series that shows a triggering value, with its threshold in the series' units, or
 * undefined when nothing is stored for it (a silence check).
 */
export function trendSeriesOf(
  value: Pick<TriggeringValue, 'metric' | 'threshold' | 'comparison' | 'unit'>,
  context: SeriesContext,
): TrendSeriesRef | undefined {
  const metric = value.metric.replace(DECORATION, '');
  const dot = metric.indexOf('.');
  const prefix = dot < 0 ? undefined : metric.slice(0, dot);
  const name = dot < 0 ? metric : metric.slice(dot + 1);
  const numericThreshold = typeof value.threshold === 'number' ? { threshold: value.threshold } : {};

  if (prefix === 'finding') {
    return { channel: context.channel, field: findingField(name), ...numericThreshold };
  }
  const channel = prefix ?? context.channel;
  if (name === 'isoZone') {
    const zone =
      typeof value.threshold === 'string' ? boundaryZone(value.threshold, value.comparison) : undefined;
    if (context.zoneLimits) {
      const limits = [context.zoneLimits.ab, context.zoneLimits.bc, context.zoneLimits.cd];
      const threshold = zone === undefined ? undefined : limits[zone - 1];
      return {
        channel,
        field: 'velocityRmsMmS',
        unit: 'mm/s',
        ...(threshold === undefined ? {} : { threshold }),
      };
    }
    return { channel, field: ZONE_INDEX_FIELD, ...(zone === undefined ? {} : { threshold: zone }) };
  }
  if (FEATURE_FIELDS.has(name)) return { channel, field: name, ...numericThreshold };
  // Not a feature, with a channel prefix: nothing a rule could name (signals.ts refuses it).
  if (prefix !== undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return undefined;
  return { channel: name, field: READING_FIELD, ...numericThreshold };
}
