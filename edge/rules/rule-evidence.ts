import type { TriggeringValue } from '../../shared/schema/index.js';
import { isoTime } from '../../shared/time.js';
import type { ComparisonOutcome } from './condition.js';
import type { ConditionWatch, LoadedRule, NoDataWatch, TrendWatch } from './load-rules.js';
import type { RuleScope } from './rule-scope.js';
import type { Transition } from './rule-state.js';
import type { ThresholdForecast } from './trend.js';
import { parseSignalName } from './signals.js';

/** Values on tickets keep four significant digits: enough to judge, stable enough to compare. */
const round = (v: number): number => Number(v.toPrecision(4));
const show = (v: number | string | undefined, unit: string | undefined): string =>
  v === undefined ? 'no value' : typeof v === 'string' ? `'${v}'` : `${round(v)}${unit ? ` ${unit}` : ''}`;
const mark = (holds: boolean | undefined): string =>
  holds === true ? 'holds' : holds === false ? 'does not hold' : 'unknown (no fresh good value)';

function triggering(comparison: ComparisonOutcome, unit: string | undefined): TriggeringValue | undefined {
  const { value, threshold } = comparison;
  if (value === undefined || threshold === undefined) return undefined;
  return {
    metric: comparison.metric,
    value: typeof value === 'number' ? round(value) : value,
    threshold: typeof threshold === 'number' ? round(threshold) : threshold,
    comparison: comparison.comparison,
    ...(unit ? { unit } : {}),
  };
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

function ruleLine(rule: LoadedRule): string {
  return `rule ${rule.spec.id} version ${rule.version} (${rule.file.split('/').pop()})`;
}

/** The values behind a condition rule's conclusion, and the steps in words, as an engineer would check them. */
export function conditionEvidence(
  rule: LoadedRule,
  watch: ConditionWatch,
  scope: RuleScope,
  transition: NonNullable<Transition>,
  channel: string,
): { triggeringValues: TriggeringValue[]; reasoning: string[] } {
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
  return {
    triggeringValues: held.map((c) => triggering(c, unitOf(c.metric))).filter((t) => t !== undefined),
    reasoning,
  };
}

export function trendEvidence(
  rule: LoadedRule,
  watch: TrendWatch,
  forecast: ThresholdForecast | undefined,
  at: number,
  transition: NonNullable<Transition>,
  unit: string | undefined,
): { triggeringValues: TriggeringValue[]; reasoning: string[] } {
  const u = unit ?? rule.spec.trend?.unit;
  if (!forecast) {
    return {
      triggeringValues: [],
      reasoning: [`${watch.metric.key} no longer trends toward ${show(watch.threshold, u)}`, ruleLine(rule)],
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
      {
        metric: `${watch.metric.key} (trend level)`,
        value: round(forecast.level),
        threshold: watch.threshold,
        comparison: watch.direction === 'rising' ? '<' : '>',
        ...(u ? { unit: u } : {}),
      },
    ],
    reasoning: [
      `${watch.metric.key}: ${forecast.model} Theil–Sen fit over ${forecast.points} points spanning ${(forecast.spanMs / 3_600_000).toFixed(1)} h; level ${show(forecast.level, u)}, ${direction} ${rate}`,
      `projected to reach ${show(watch.threshold, u)} at ${isoTime(forecast.etaMs)} (in ${days(forecast.etaMs)}; 90 % interval ${isoTime(forecast.earliestMs)} – ${forecast.latestMs === undefined ? 'never, at the slowest plausible rate' : isoTime(forecast.latestMs)})`,
      transition === 'clear'
        ? `the projected crossing moved beyond ${1.5}× the horizon of ${rule.spec.trend?.horizon}`
        : `within the horizon of ${rule.spec.trend?.horizon}`,
      ruleLine(rule),
    ],
  };
}

export function noDataEvidence(
  rule: LoadedRule,
  watch: NoDataWatch,
  channel: string,
  silentMs: number,
  lastGoodAt: number,
  transition: NonNullable<Transition>,
): { triggeringValues: TriggeringValue[]; reasoning: string[] } {
  const seconds = round(silentMs / 1000);
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
        : `no good value from channel ${channel} for ${seconds} s (limit ${rule.spec.noData}); the last one arrived at ${isoTime(lastGoodAt)}`,
      'rules that read this channel treat it as unknown meanwhile: a silent sensor raises no machine fault',
      ruleLine(rule),
    ],
  };
}
