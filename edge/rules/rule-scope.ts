import type { Features } from '../../shared/schema/index.js';
import type { ZoneLimits } from '../../shared/trend-series.js';
import type { LatestSignals } from '../latest-signals.js';
import type { Baseline, Baselines } from './baselines.js';
import type { ConditionScope, SignalRef, SignalValue } from './condition.js';
import type { RuleState } from './rule-state.js';
import { FEATURE_NAMES, FINDING_PREFIX } from './signals.js';

/**
 * Resolves a rule's names for one asset channel at one data time. One instance is re-bound per
 * evaluation rather than allocated, since it runs for every rule on every window.
 */
export class RuleScope implements ConditionScope {
  assetId = '';
  channel = '';
  t = 0;
  staleAfterMs = 0;
  learnMs = 0;
  private subject: Features | undefined;
  private state: RuleState | undefined;

  constructor(
    private readonly signals: LatestSignals,
    private readonly baselines: Baselines,
    private readonly zoneLimitsOf?: (assetId: string) => ZoneLimits | undefined,
  ) {}

  /** The bound asset's ISO 20816 zone boundaries, when the engine was told them. */
  zoneLimits(): ZoneLimits | undefined {
    return this.zoneLimitsOf?.(this.assetId);
  }

  /** `subject`: the features of the window being evaluated (none for rules on readings). */
  bind(
    assetId: string,
    channel: string,
    t: number,
    staleAfterMs: number,
    learnMs: number,
    subject: Features | undefined,
    state: RuleState,
  ): this {
    this.state = state;
    this.assetId = assetId;
    this.channel = channel;
    this.t = t;
    this.staleAfterMs = staleAfterMs;
    this.learnMs = learnMs;
    this.subject = subject;
    return this;
  }

  signal(ref: SignalRef): SignalValue {
    if (ref.channel === FINDING_PREFIX)
      return this.subject ? (this.subject.findings?.[ref.name] ?? 0) : undefined;
    if (ref.channel !== undefined) {
      const features = this.signals.features(this.assetId, ref.channel);
      if (!features || this.t - features.windowEnd > this.staleAfterMs) return undefined;
      return featureValue(features, ref.name);
    }
    if (FEATURE_NAMES.has(ref.name)) return this.subject && featureValue(this.subject, ref.name);
    const reading = this.signals.reading(this.assetId, ref.name);
    if (!reading || !reading.good || this.t - reading.ts > this.staleAfterMs) return undefined;
    return reading.value;
  }

  baseline(ref: SignalRef): number | undefined {
    return this.baselineOf(ref).value;
  }

  /** The bound rule's baseline of a signal on the bound asset channel. */
  baselineOf(ref: SignalRef): Baseline {
    const state = this.state!;
    state.baselines ??= new Map();
    let baseline = state.baselines.get(ref.key);
    if (!baseline) {
      baseline = this.baselines.handle(this.assetId, this.channel, ref.key, this.learnMs);
      state.baselines.set(ref.key, baseline);
    }
    return baseline;
  }

  /** The unit a value is shown in: the reading's own, or the feature's. */
  unitOf(ref: { name: string; channel?: string }): string | undefined {
    if (ref.channel === FINDING_PREFIX) return undefined;
    if (ref.channel !== undefined || FEATURE_NAMES.has(ref.name)) {
      if (ref.name.endsWith('MmS')) return 'mm/s';
      if (ref.name === 'accelRms' || ref.name === 'accelPeak') return this.subject?.accelUnit;
      return undefined;
    }
    return this.signals.reading(this.assetId, ref.name)?.unit;
  }
}

function featureValue(features: Features, name: string): SignalValue {
  const value = (features as unknown as Record<string, unknown>)[name];
  return typeof value === 'number' || typeof value === 'string' ? value : undefined;
}
