import type { TriggeringValue } from '../../shared/schema/index.js';
import { isoTime } from '../../shared/time.js';
import { type ZoneLimits, trendSeriesOf } from '../../shared/trend-series.js';
import type { ComparisonOutcome } from './condition.js';
import type { ConditionWatch, LoadedRule, NoDataWatch, TrendWatch } from './load-rules.js';
import type { RuleScope } from './rule-scope.js';
import type { Transition } from './rule-state.js';
import type { ThresholdForecast } from './trend.js';
import { FINDING_PREFIX, parseSignalName } from './signals.js';

/** Values on tickets keep four significant digits: enough to judge, stable enough to compare. */
const round = (v: number): number => Number(v.toPrecision(4));
const show = (v: number | string | undefined, unit: string | undefined): string =>
  v === undefined ? 'no value' : typeof v === 'string' ? `'${v}'` : `${round(v)}${unit ? ` ${unit}` : ''}`;
const mark = (holds: boolean | undefined): string =>
  holds === true ? 'holds' : holds === false ? 'does not hold' : 'unknown (no fresh good value)';

/**
 * A value as the ticket carries it, with the telemetry series that shows it over time: the edge
 * writes that telemetry, so it names the series (`isoZone` → `velocityRmsMmS` against the zone
 * boundary of this asset's machine class).
 */
function withSeries(
  value: TriggeringValue,
  channel: string,
  zoneLimits: ZoneLimits | undefined,
): TriggeringValue {
  const series = trendSeriesOf(value, { channel, ...(zoneLimits ? { zoneLimits } : {}) });
  return series ? { ...value, series } : value;
}

function triggering(
  comparison: ComparisonOutcome,
  unit: string | undefined,
  channel: string,
  zoneLimits: ZoneLimits | undefined,
): TriggeringValue | undefined {
  const { value, threshold } = comparison;
  if (value === undefined || threshold === undefined) return undefined;
  return withSeries(
    {
      metric: comparison.metric,
      value: typeof value === 'number' ? round(value) : value,
      threshold: typeof threshold === 'number' ? round(threshold) : threshold,
      comparison: comparison.comparison,
      ...(unit ? { unit } : {}),
    },
    channel,
    zoneLimits,
  );
}

const VELOCITY_RMS = { key: 'velocityRmsMmS', name: 'velocityRmsMmS' } as const;

/** A zone letter alone does not say how far into the zone: add the velocity it was judged from. */
function zoneContext(metric: string, scope: RuleScope): string {
  if (!metric.endsWith('isoZone')) return '';
  const channel = metric.includes('.') ? metric.slice(0, metric.indexOf('.')) : undefined;
  const velocity = scope.signal(
    channel ? { ...VELOCITY_RMS, key: `${channel}.velocityRmsMmS`, channel } : VELOCITY_RMS,
  );
  return typeof velocity === 'number' ? ` (velocity RMS ${round(velocity)} mm/s)` : '';
}

const FEATURE_WORDS: Record<string, string> = {
  velocityRmsMmS: 'velocity RMS',
  accelRms: 'acceleration RMS',
  accelPeak: 'acceleration peak',
  crestFactor: 'crest factor',
  kurtosis: 'kurtosis',
  rpm: 'speed',
  order1xMmS: '1× velocity',
  order2xMmS: '2× velocity',
  order3xMmS: '3× velocity',
  bpfoEnvelopeSnr: 'BPFO envelope line',
  bpfiEnvelopeSnr: 'BPFI envelope line',
  bsfEnvelopeSnr: 'BSF envelope line',
  ftfEnvelopeSnr: 'FTF envelope line',
};
const COMPARISON_WORDS: Record<TriggeringValue['comparison'], string> = {
  '>': 'above',
  '>=': 'at or above',
  '<': 'below',
  '<=': 'at or below',
  '==': 'equal to',
  '!=': 'not',
};

/** As a person reads a gauge: 92 °C, 7.9 mm/s, 0.35 g; the exact value is in the triggering values. */
function plainNumber(v: number, unit: string | undefined): string {
  const a = Math.abs(v);
  const n = a >= 10 ? Math.round(v) : a >= 1 ? Number(v.toFixed(1)) : Number(v.toPrecision(2));
  return `${n}${unit ? ` ${unit}` : ''}`;
}

/** `de.velocityRmsMmS` → `de velocity RMS`, `spindle_temperature` → `spindle temperature`. */
function plainName(metric: string): string {
  const { channel, name } = parseSignalName(metric);
  const words = FEATURE_WORDS[name] ?? name.replaceAll('_', ' ');
  return channel ? `${channel} ${words}` : words;
}

/**
 * One held comparison as an operator would say it: `confidence 99 %`, `zone D (7.9 mm/s)`,
 * `spindle temperature 92 °C, above 65 °C`. The expression itself stays in the reasoning.
 */
function plainComparison(
  c: ComparisonOutcome,
  unit: string | undefined,
  scope: RuleScope,
): string | undefined {
  const { channel, name } = parseSignalName(c.metric);
  if (c.value === undefined) return undefined;
  if (channel === FINDING_PREFIX && typeof c.value === 'number')
    return `confidence ${Math.floor(c.value * 100)} %`;
  if (name === 'isoZone') {
    const velocity = scope.signal(
      channel ? { ...VELOCITY_RMS, key: `${channel}.velocityRmsMmS`, channel } : VELOCITY_RMS,
    );
    return `${channel ? `${channel} ` : ''}zone ${c.value}${typeof velocity === 'number' ? ` (${plainNumber(velocity, 'mm/s')})` : ''}`;
  }
  const value = typeof c.value === 'number' ? plainNumber(c.value, unit) : c.value;
  const threshold = typeof c.threshold === 'number' ? plainNumber(c.threshold, unit) : (c.threshold ?? '');
  return `${plainName(c.metric)} ${value}, ${COMPARISON_WORDS[c.comparison]} ${threshold}`;
}

function ruleLine(rule: LoadedRule): string {
  return `rule ${rule.spec.id} version ${rule.version} (${rule.file.split('/').pop()})`;
}

/**
 * What a rule concluded: the values against their thresholds, the steps in words, and `detail`,
 * the same in plant language for titles and summaries (`zone D (7.9 mm/s)`, `confidence 99 %`).
 */
export interface PlainEvidence {
  triggeringValues: TriggeringValue[];
  reasoning: string[];
  detail: string;
}

/** The values behind a condition rule's conclusion, and the steps in words, as an engineer would check them. */
export function conditionEvidence(
  rule: LoadedRule,
  watch: ConditionWatch,
  scope: RuleScope,
  transition: NonNullable<Transition>,
  channel: string,
): PlainEvidence {
  const clearing = transition === 'clear';
  const condition = clearing && watch.clearWhen ? watch.clearWhen : watch.when;
  const result = condition.explain(scope);
  const unitOf = (metric: string) => scope.unitOf(parseSignalName(metric)) ?? rule.spec.unit;
  const held = result.comparisons.filter((c) => c.holds === (clearing && !watch.clearWhen ? false : true));
  const reasoning = [
    `${clearing ? (watch.clearWhen ? 'clear condition' : 'condition no longer holds') : 'condition'}: ${condition.source} (channel ${channel})`,
    ...result.comparisons.map(
      (c) =>
        `  ${c.metric} = ${show(c.value, unitOf(c.metric))} ${c.comparison} ${show(c.threshold, unitOf(c.metric))}: ${mark(c.holds)}` +
        zoneContext(c.metric, scope),
    ),
  ];
  if (!clearing) {
    reasoning.push(
      rule.pendingMs > 0
        ? `held for at least the pending period of ${rule.spec.for} before the ticket was raised`
        : 'raised on the first evaluation that held (no pending period)',
    );
  } else if (rule.keepFiringMs > 0) {
    reasoning.push(`the clear condition held for the keep-firing period of ${rule.spec.keepFiring}`);
  }
  if (rule.runningWhen) reasoning.push(`evaluated while the machine runs: ${rule.runningWhen.source}`);
  reasoning.push(ruleLine(rule));
  const detail = held
    .map((c) => plainComparison(c, unitOf(c.metric), scope))
    .filter((d) => d !== undefined)
    .join('; ');
  return {
    triggeringValues: held
      .map((c) => triggering(c, unitOf(c.metric), channel, scope.zoneLimits()))
      .filter((t) => t !== undefined),
    reasoning,
    detail: clearing ? `back to normal${detail ? ` (${detail})` : ''}` : detail,
  };
}

export function trendEvidence(
  rule: LoadedRule,
  watch: TrendWatch,
  forecast: ThresholdForecast | undefined,
  at: number,
  transition: NonNullable<Transition>,
  unit: string | undefined,
  channel: string,
): PlainEvidence {
  const u = unit ?? rule.spec.trend?.unit;
  if (!forecast) {
    return {
      triggeringValues: [],
      reasoning: [`${watch.metric.key} no longer trends toward ${show(watch.threshold, u)}`, ruleLine(rule)],
      detail: `${plainName(watch.metric.key)} no longer trends toward ${show(watch.threshold, u)}`,
    };
  }
  const days = (ms: number) => `${((ms - at) / 86_400_000).toFixed(1)} d`;
  const rate =
    forecast.model === 'linear'
      ? `${round(forecast.ratePerDay)}${u ? ` ${u}` : ''} per day`
      : `${round(forecast.ratePerDay * 100)} % per day`;
  const direction = watch.direction === 'rising' ? 'rising' : 'falling';
  return {
    triggeringValues: [
      withSeries(
        {
          metric: `${watch.metric.key} (trend level)`,
          value: round(forecast.level),
          threshold: watch.threshold,
          comparison: watch.direction === 'rising' ? '<' : '>',
          ...(u ? { unit: u } : {}),
        },
        channel,
        undefined,
      ),
    ],
    reasoning: [
      `${watch.metric.key}: ${forecast.model} Theil–Sen fit over ${forecast.points} points spanning ${(forecast.spanMs / 3_600_000).toFixed(1)} h; level ${show(forecast.level, u)}, ${direction} ${rate}`,
      `projected to reach ${show(watch.threshold, u)} at ${isoTime(forecast.etaMs)} (in ${days(forecast.etaMs)}; 90 % interval ${isoTime(forecast.earliestMs)} – ${forecast.latestMs === undefined ? 'never, at the slowest plausible rate' : isoTime(forecast.latestMs)})`,
      transition === 'clear'
        ? `the projected crossing moved beyond ${1.5}× the horizon of ${rule.spec.trend?.horizon}`
        : `within the horizon of ${rule.spec.trend?.horizon}`,
      ruleLine(rule),
    ],
    detail:
      transition === 'clear'
        ? `${plainName(watch.metric.key)} no longer expected to reach ${show(watch.threshold, u)} within ${rule.spec.trend?.horizon}`
        : `${plainName(watch.metric.key)} ${show(forecast.level, u)}, expected to reach ${show(watch.threshold, u)} around ${isoTime(forecast.etaMs).slice(0, 16).replace('T', ' ')} UTC`,
  };
}

export function noDataEvidence(
  rule: LoadedRule,
  watch: NoDataWatch,
  channel: string,
  silentMs: number,
  lastGoodAt: number,
  transition: NonNullable<Transition>,
  /** When the channel's source came back after being offline, if that is where the silence starts. */
  sourceBackAt?: number,
): PlainEvidence {
  const seconds = round(silentMs / 1000);
  const since =
    sourceBackAt === undefined ? '' : ` since its source came back online at ${isoTime(sourceBackAt)}`;
  return {
    triggeringValues:
      transition === 'clear'
        ? []
        : [
            {
              metric: `${channel} silence`,
              value: seconds,
              threshold: watch.silenceMs / 1000,
              comparison: '>',
              unit: 's',
            },
          ],
    reasoning: [
      transition === 'clear'
        ? `channel ${channel} delivers good values again`
        : `no good value from channel ${channel} for ${seconds} s${since} (limit ${rule.spec.noData}); the last one arrived at ${isoTime(lastGoodAt)}`,
      'rules that read this channel treat it as unknown meanwhile: a silent sensor raises no machine fault',
      ruleLine(rule),
    ],
    detail:
      transition === 'clear'
        ? `channel ${channel} delivers values again`
        : `no value from channel ${channel} for ${seconds} s (limit ${rule.spec.noData})`,
  };
}
