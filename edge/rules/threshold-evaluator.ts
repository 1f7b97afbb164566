import type { Features } from '../../shared/schema/features.js';
import type { LoadedRule } from './load-rules.js';

/** What a rule concluded about one window of one asset channel. */
export type RuleOutcome =
  | { kind: 'fire'; rule: LoadedRule; features: Features; value: number; since: number }
  | { kind: 'still-firing'; rule: LoadedRule; features: Features; value: number }
  | { kind: 'clear'; rule: LoadedRule; features: Features; value: number };

interface SeriesState {
  /** Data time the condition was first seen holding in the current run, or undefined. */
  pendingSince?: number;
  firing: boolean;
}

const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

function matchesAny(globs: string[] | undefined, value: string): boolean {
  return !globs || globs.some((g) => globToRegExp(g).test(value));
}

export const appliesTo = (rule: LoadedRule, features: Features): boolean =>
  matchesAny(rule.spec.appliesTo?.assets, features.assetId) &&
  matchesAny(rule.spec.appliesTo?.channels, features.channel);

/**
 * Threshold with a pending period and hysteresis, one state per rule × asset × channel. A rule fires
 * once the value has stayed above `above` for `for`, and clears only when it drops below `clearBelow`,
 * so a value dithering around the threshold raises one ticket, not many.
 */
export class ThresholdEvaluator {
  private readonly states = new Map<string, SeriesState>();

  evaluate(rules: readonly LoadedRule[], features: Features): RuleOutcome[] {
    const outcomes: RuleOutcome[] = [];
    for (const rule of rules) {
      if (!appliesTo(rule, features)) continue;
      const outcome = this.step(rule, features);
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  /** Restores a firing state after a restart, so an already-open ticket is not raised again. */
  markFiring(ruleId: string, assetId: string, channel: string): void {
    this.states.set(`${ruleId}|${assetId}|${channel}`, { firing: true });
  }

  /**
   * Undoes the state change of an outcome whose ticket could not be committed (e.g. disk full), so
   * the next window concludes the same again and the ticket is raised then instead of being lost.
   */
  revert(outcome: RuleOutcome): void {
    const state = this.states.get(
      `${outcome.rule.spec.id}|${outcome.features.assetId}|${outcome.features.channel}`,
    );
    if (!state) return;
    if (outcome.kind === 'fire') state.firing = false;
    if (outcome.kind === 'clear') state.firing = true;
  }

  private step(rule: LoadedRule, features: Features): RuleOutcome | undefined {
    const key = `${rule.spec.id}|${features.assetId}|${features.channel}`;
    const state = this.states.get(key) ?? { firing: false };
    this.states.set(key, state);
    const value = features[rule.spec.metric];

    if (state.firing) {
      if (value < rule.clearBelow) {
        state.firing = false;
        state.pendingSince = undefined;
        return { kind: 'clear', rule, features, value };
      }
      return { kind: 'still-firing', rule, features, value };
    }

    if (value <= rule.spec.above) {
      state.pendingSince = undefined;
      return undefined;
    }
    state.pendingSince ??= features.windowStart;
    if (features.windowEnd - state.pendingSince < rule.pendingMs) return undefined;
    state.firing = true;
    return { kind: 'fire', rule, features, value, since: state.pendingSince };
  }
}
