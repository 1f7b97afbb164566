import type {
  Features,
  IsoZone,
  Prediction,
  Reading,
  Severity,
  TriggeringValue,
} from '../../shared/schema/index.js';
import { SEVERITIES } from '../../shared/schema/index.js';
import { isoTime } from '../../shared/time.js';
import type { ZoneLimits } from '../../shared/trend-series.js';
import { ZONE_URGENCY } from '../../shared/urgency.js';
import { LatestSignals } from '../latest-signals.js';
import type { WaveformEvidence } from '../signal/waveform-analysis.js';
import type { Baselines } from './baselines.js';
import { conditionEvidence, noDataEvidence, trendEvidence } from './rule-evidence.js';
import type { ConditionWatch, LoadedRule, TrendWatch } from './load-rules.js';
import { RuleScope } from './rule-scope.js';
import { RuleState, type Truth } from './rule-state.js';
import { FINDING_PREFIX } from './signals.js';
import { OfflineChannels } from './source-offline.js';
import { forecastCrossing, type ThresholdForecast } from './trend.js';
import type { TrendHistories } from './trend-histories.js';

/** What a ticket needs from a rule's conclusion; built only when the ticket is written. */
export interface RuleEvidence {
  triggeringValues: TriggeringValue[];
  reasoning: string[];
  /** The conclusion in plant language, for titles and summaries: `zone D (7.9 mm/s)`. */
  detail: string;
  confidence?: number;
  waveform?: WaveformEvidence;
}

export interface RuleOutcome {
  kind: 'fire' | 'still-firing' | 'clear';
  rule: LoadedRule;
  assetId: string;
  channel: string;
  windowStart: number;
  windowEnd: number;
  /** When the condition started holding (for 'fire'). */
  since?: number;
  /** The rule's severity, raised by the ISO zone of the vibration it saw. */
  severity: Severity;
  /** The ISO zone the vibration was in when the rule concluded: it also brings the due date forward. */
  isoZone?: IsoZone;
  prediction?: Prediction;
  evidence(): RuleEvidence;
}

export interface RuleEngineOptions {
  /**
   * The latest values the rules read, fed by their owner (the pipeline), which then calls
   * evaluateFeatures and evaluateReading. Without it the engine keeps its own, fed by onFeatures and
   * onReading.
   */
  signals?: LatestSignals;
  baselines: Baselines;
  trendHistories: TrendHistories;
  /** Default for rules without `staleAfter`. */
  staleAfterMs: number;
  /** Default learning period for rules that use baseline() without a `baseline` block. */
  baselineLearnMs: number;
  /** An asset's ISO 20816 zone boundaries, so a zone rule's ticket names the velocity trend behind it. */
  zoneLimits?: (assetId: string) => ZoneLimits | undefined;
  wallClock?: () => number;
}

/** One rule on one asset channel at one data time: what every step of an evaluation needs. */
interface Evaluation {
  rule: LoadedRule;
  state: RuleState;
  key: string;
  assetId: string;
  channel: string;
  windowStart: number;
  windowEnd: number;
  features: Features | undefined;
  waveform: (() => WaveformEvidence) | undefined;
}

const atLeast = (a: Severity, b: Severity | undefined): Severity =>
  b !== undefined && SEVERITIES.indexOf(b) > SEVERITIES.indexOf(a) ? b : a;

/** A predicted ticket clears only once the projected crossing has moved this far beyond the horizon. */
const TREND_CLEAR_FACTOR = 1.5;
/** History buckets per trend: enough for a robust fit, few enough for an O(n²) Theil–Sen. */
const TREND_BUCKETS = 150;

/** State is kept per rule × asset × channel; setRules relies on the rule id coming first. */
const stateKey = (ruleId: string, assetId: string, channel: string): string =>
  `${ruleId}|${assetId}|${channel}`;

const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/**
 * Evaluates the rules as measurements arrive: waveform features re-evaluate the rules that read
 * features on that channel, readings the rules that read only readings, and a periodic silence
 * check the no-data rules. One RuleState per rule × asset × channel.
 */
export class RuleEngine {
  private readonly signals: LatestSignals;
  private readonly scope: RuleScope;
  private readonly states = new Map<string, RuleState>();
  /** Per asset channel, the rules that apply and their states: one lookup per window, not one per rule. */
  private readonly slots = new Map<string, { rule: LoadedRule; state: RuleState; key: string }[]>();
  private rules: readonly LoadedRule[] = [];
  private matchers = new Map<LoadedRule, { assets?: RegExp[]; channels?: RegExp[] }>();
  private readonly wallClock: () => number;
  /** Channels whose source said it is offline: their silence is not a silent sensor's. */
  private readonly offline = new OfflineChannels();

  constructor(private readonly options: RuleEngineOptions) {
    this.signals = options.signals ?? new LatestSignals();
    this.scope = new RuleScope(this.signals, options.baselines, options.zoneLimits);
    this.wallClock = options.wallClock ?? Date.now;
  }

  /** Swaps the rule set (hot reload). A rule that keeps its id keeps its state, so an open ticket is not raised twice. */
  setRules(rules: readonly LoadedRule[]): void {
    this.rules = rules;
    this.matchers = new Map(
      rules.map((rule) => [
        rule,
        {
          ...(rule.spec.appliesTo?.assets ? { assets: rule.spec.appliesTo.assets.map(globToRegExp) } : {}),
          ...(rule.spec.appliesTo?.channels
            ? { channels: rule.spec.appliesTo.channels.map(globToRegExp) }
            : {}),
        },
      ]),
    );
    this.slots.clear();
    const ids = new Set(rules.map((r) => r.spec.id));
    for (const key of this.states.keys())
      if (!ids.has(key.slice(0, key.indexOf('|')))) this.states.delete(key);
  }

  /** Restores a firing state after a restart, so an already-open ticket is not raised again. */
  markFiring(ruleId: string, assetId: string, channel: string): void {
    this.state(stateKey(ruleId, assetId, channel)).firing = true;
  }

  /** Undoes an outcome whose ticket could not be committed, so the next evaluation concludes the same again. */
  revert(outcome: RuleOutcome): void {
    const state = this.states.get(stateKey(outcome.rule.spec.id, outcome.assetId, outcome.channel));
    if (!state) return;
    if (outcome.kind === 'fire') state.reset();
    if (outcome.kind === 'clear') state.firing = true;
  }

  /** Records a window's features in the engine's own signals, then evaluates them. */
  onFeatures(features: Features, waveform?: () => WaveformEvidence): RuleOutcome[] {
    this.signals.recordFeatures(features, this.wallClock());
    return this.evaluateFeatures(features, waveform);
  }

  /** Re-evaluates the rules that read features on the window's channel; its signals are recorded already. */
  evaluateFeatures(features: Features, waveform?: () => WaveformEvidence): RuleOutcome[] {
    this.offline.onFeatures(features);
    const outcomes: RuleOutcome[] = [];
    for (const { rule, state, key } of this.slot(features.assetId, features.channel)) {
      const outcome = this.evaluate(
        rule,
        state,
        key,
        features.assetId,
        features.channel,
        features.windowStart,
        features.windowEnd,
        features,
        waveform,
      );
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  /** Records a reading in the engine's own signals, then evaluates it. */
  onReading(reading: Reading): RuleOutcome[] {
    this.signals.recordReading(reading, this.wallClock());
    return this.evaluateReading(reading);
  }

  /** Evaluates the rules that read only readings on the reading's channel; it is recorded already. */
  evaluateReading(reading: Reading): RuleOutcome[] {
    this.offline.onReading(reading, this.wallClock());
    const outcomes: RuleOutcome[] = [];
    for (const rule of this.rules) {
      if (rule.readsFeatures || !rule.readingChannels.has(reading.channel.replaceAll('-', '_'))) continue;
      if (!this.applies(rule, reading.assetId, undefined)) continue;
      const channel = subjectChannel(rule);
      const key = stateKey(rule.spec.id, reading.assetId, channel);
      const outcome = this.evaluate(
        rule,
        this.state(key),
        key,
        reading.assetId,
        channel,
        reading.ts,
        reading.ts,
      );
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  /**
   * The no-data rules, on the wall clock: run it every second or so. A channel whose source is
   * offline (isSourceOffline) is unknown, neither silent nor speaking; once anything arrives from it
   * again its silence counts from then, not from its last good value before the outage.
   */
  checkSilence(): RuleOutcome[] {
    const now = this.wallClock();
    const outcomes: RuleOutcome[] = [];
    for (const rule of this.rules) {
      if (rule.watch.kind !== 'no-data') continue;
      const watch = rule.watch;
      for (const { assetId, channel, lastGoodAt } of this.signals.channels()) {
        if (!this.applies(rule, assetId, channel)) continue;
        const state = this.state(stateKey(rule.spec.id, assetId, channel));
        const watched = this.offline.watch(assetId, channel, lastGoodAt);
        if (watched.offline) {
          // Unknown: a pending silence restarts, and an open sensor_fault stays open (missing data never clears).
          state.step(undefined, undefined, now, now, rule.pendingMs, rule.keepFiringMs);
          continue;
        }
        const { since, sourceBackAt } = watched;
        const silentMs = now - since;
        const silent = silentMs > watch.silenceMs;
        const transition = state.step(silent, !silent, now, now, rule.pendingMs, rule.keepFiringMs);
        if (!transition) continue;
        outcomes.push({
          kind: transition,
          rule,
          assetId,
          channel,
          windowStart: since,
          windowEnd: now,
          ...(transition === 'fire' ? { since: since + watch.silenceMs } : {}),
          severity: rule.spec.severity,
          evidence: () =>
            noDataEvidence(rule, watch, channel, silentMs, lastGoodAt, transition, sourceBackAt),
        });
      }
    }
    return outcomes;
  }

  private slot(assetId: string, channel: string): { rule: LoadedRule; state: RuleState; key: string }[] {
    const slotKey = `${assetId}|${channel}`;
    let slot = this.slots.get(slotKey);
    if (!slot) {
      slot = this.rules
        .filter((rule) => rule.readsFeatures && this.applies(rule, assetId, channel))
        .map((rule) => {
          const key = stateKey(rule.spec.id, assetId, channel);
          return { rule, state: this.state(key), key };
        });
      this.slots.set(slotKey, slot);
    }
    return slot;
  }

  private applies(rule: LoadedRule, assetId: string, channel: string | undefined): boolean {
    const m = this.matchers.get(rule);
    if (m?.assets && !m.assets.some((r) => r.test(assetId))) return false;
    if (channel !== undefined && m?.channels && !m.channels.some((r) => r.test(channel))) return false;
    return true;
  }

  private state(key: string): RuleState {
    let state = this.states.get(key);
    if (!state) {
      state = new RuleState();
      this.states.set(key, state);
    }
    return state;
  }

  private evaluate(
    rule: LoadedRule,
    state: RuleState,
    key: string,
    assetId: string,
    channel: string,
    windowStart: number,
    windowEnd: number,
    features?: Features,
    waveform?: () => WaveformEvidence,
  ): RuleOutcome | undefined {
    const at: Evaluation = { rule, state, key, assetId, channel, windowStart, windowEnd, features, waveform };
    const scope = this.bindScope(at);
    if (rule.runningWhen && rule.runningWhen.evaluate(scope) !== true) {
      state.pause();
      return undefined;
    }
    if (rule.watch.kind === 'condition') return this.evaluateCondition(at, rule.watch);
    if (rule.watch.kind === 'trend') return this.evaluateTrend(at, rule.watch);
    return undefined;
  }

  private bindScope(at: Evaluation): RuleScope {
    const { rule } = at;
    return this.scope.bind(
      at.assetId,
      at.channel,
      at.windowEnd,
      rule.staleAfterMs ?? this.options.staleAfterMs,
      rule.baseline.learnMs ?? this.options.baselineLearnMs,
      at.features,
      at.state,
    );
  }

  /**
   * Steps the rule's state; on a transition, the outcome, whose evidence `evidence` makes when asked.
   * Optional fields are assigned, not spread: a rule that fires on every window (a known fault)
   * concludes once per waveform, and conditional spreads took V8's slow path each time.
   */
  private conclude(
    at: Evaluation,
    holds: Truth,
    clears: Truth,
    evidence: (kind: RuleOutcome['kind']) => RuleEvidence,
  ): RuleOutcome | undefined {
    const { rule, state, windowStart, windowEnd } = at;
    const kind = state.step(holds, clears, windowStart, windowEnd, rule.pendingMs, rule.keepFiringMs);
    if (!kind) return undefined;
    const outcome: RuleOutcome = {
      kind,
      rule,
      assetId: at.assetId,
      channel: at.channel,
      windowStart,
      windowEnd,
      severity: severityOf(rule, at.features),
      evidence: () => evidence(kind),
    };
    if (kind === 'fire') outcome.since = state.pendingSince ?? windowStart;
    if (at.features?.isoZone) outcome.isoZone = at.features.isoZone;
    return outcome;
  }

  private evaluateCondition(at: Evaluation, watch: ConditionWatch): RuleOutcome | undefined {
    this.learnBaselines(at.rule, watch);
    const holds = watch.when.evaluate(this.scope);
    const clears = watch.clearWhen
      ? watch.clearWhen.evaluate(this.scope)
      : holds === undefined
        ? undefined
        : !holds;
    return this.conclude(at, holds, clears, (kind) => ({
      ...conditionEvidence(at.rule, watch, this.bindScope(at), kind, at.channel),
      ...confidenceOf(watch, at.features),
      ...(at.waveform ? { waveform: at.waveform() } : {}),
    }));
  }

  /** Baselines learn only while the rule is evaluated, i.e. while the machine runs. */
  private learnBaselines(rule: LoadedRule, watch: ConditionWatch): void {
    if (watch.when.baselines.length === 0) return;
    for (const ref of watch.when.baselines) {
      const value = this.scope.signal(ref);
      if (typeof value !== 'number') continue;
      this.options.baselines.learn(this.scope.baselineOf(ref), rule.baseline.minSamples, this.scope.t, value);
    }
  }

  private evaluateTrend(at: Evaluation, watch: TrendWatch): RuleOutcome | undefined {
    const { state, windowEnd } = at;
    const value = this.scope.signal(watch.metric);
    if (typeof value !== 'number') return undefined;
    state.trend ??= {
      history: this.options.trendHistories.get(at.key, watch.historyMs, TREND_BUCKETS),
      fittedAt: undefined,
    };
    const { history, fittedAt } = state.trend;
    history.add(windowEnd, value);
    // A fit costs O(n²): refit once per history bucket, not on every window.
    if (fittedAt !== undefined && windowEnd - fittedAt < watch.historyMs / TREND_BUCKETS) return undefined;
    const forecast = forecastCrossing(history.points(), {
      model: watch.model,
      threshold: watch.threshold,
      direction: watch.direction,
      minPoints: watch.minPoints,
    });
    state.trend.fittedAt = windowEnd;
    this.options.trendHistories.save(at.key, history);
    const holds = forecast !== undefined && forecast.etaMs - windowEnd <= watch.horizonMs;
    const clears =
      forecast === undefined || forecast.etaMs - windowEnd > TREND_CLEAR_FACTOR * watch.horizonMs;
    const outcome = this.conclude(at, holds, clears, (kind) => ({
      ...trendEvidence(
        at.rule,
        watch,
        forecast,
        windowEnd,
        kind,
        this.bindScope(at).unitOf(watch.metric),
        at.channel,
      ),
      ...(at.waveform ? { waveform: at.waveform() } : {}),
    }));
    if (outcome && forecast && outcome.kind !== 'clear') outcome.prediction = predictionOf(watch, forecast);
    return outcome;
  }
}

/** ISO zone C or D raises a rule's severity: computed only when a rule concludes something. */
function severityOf(rule: LoadedRule, features: Features | undefined): Severity {
  return atLeast(rule.spec.severity, features?.isoZone ? ZONE_URGENCY[features.isoZone].severity : undefined);
}

/** Reading-only rules are filed under their first reading channel, the one their evidence names. */
function subjectChannel(rule: LoadedRule): string {
  if (rule.watch.kind === 'trend') return rule.watch.metric.name;
  return rule.readingChannels.values().next().value ?? 'readings';
}

function confidenceOf(watch: ConditionWatch, features: Features | undefined): { confidence?: number } {
  const faults = watch.when.signals.filter((s) => s.channel === FINDING_PREFIX).map((s) => s.name);
  if (faults.length === 0 || !features) return {};
  return { confidence: Math.max(...faults.map((f) => features.findings?.[f] ?? 0)) };
}

/** Four significant digits, or nothing: a trend that grows by orders of magnitude a day has no finite rate. */
const reportable = (value: number): number | undefined =>
  Number.isFinite(value) ? Number(value.toPrecision(4)) : undefined;

/**
 * The ticket's prediction. A fit over seconds-fast growth (a fault appearing at once) gives a daily
 * rate beyond any float: left out, as JSON would turn it into a null the cloud refuses.
 */
export function predictionOf(
  watch: Pick<TrendWatch, 'metric' | 'threshold'>,
  forecast: ThresholdForecast,
): Prediction {
  const level = reportable(forecast.level);
  const ratePerDay = reportable(forecast.ratePerDay);
  return {
    metric: watch.metric.key,
    threshold: watch.threshold,
    eta: isoTime(forecast.etaMs),
    intervalStart: isoTime(forecast.earliestMs),
    ...(forecast.latestMs !== undefined ? { intervalEnd: isoTime(forecast.latestMs) } : {}),
    model: forecast.model,
    ...(level !== undefined ? { level } : {}),
    ...(ratePerDay !== undefined ? { ratePerDay } : {}),
    points: forecast.points,
  };
}
