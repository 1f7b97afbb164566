import type { Baseline } from './baselines.js';
import type { TrendHistory } from './trend.js';

/** What one evaluation of a rule concluded for one asset channel. */
export type Transition = 'fire' | 'still-firing' | 'clear' | undefined;

/** Conditions are three-valued: undefined means the data to decide is missing, stale or bad. */
export type Truth = boolean | undefined;

/**
 * The life of one rule on one asset channel: idle → pending → firing → (clearing) → idle.
 * - fires once the condition has held for the pending period (on the data's clock);
 * - an unknown or false condition restarts the pending period;
 * - once firing, only a known-true clear condition clears it, and only after it has held for the
 *   keep-firing period: missing data never clears a fault, and dithering never re-raises it.
 */
export class RuleState {
  pendingSince: number | undefined;
  firing = false;
  private clearingSince: number | undefined;
  /** The baselines this rule compares this asset channel against, by signal: looked up once, not per window. */
  baselines: Map<string, Baseline> | undefined;
  /** A trend rule's history and when it was last fitted. */
  trend: { history: TrendHistory; fittedAt: number | undefined } | undefined;

  step(
    holds: Truth,
    clears: Truth,
    windowStart: number,
    windowEnd: number,
    pendingMs: number,
    keepFiringMs: number,
  ): Transition {
    if (!this.firing) {
      if (holds !== true) {
        this.pendingSince = undefined;
        return undefined;
      }
      this.pendingSince ??= windowStart;
      if (windowEnd - this.pendingSince < pendingMs) return undefined;
      this.firing = true;
      return 'fire';
    }
    if (clears === true) {
      this.clearingSince ??= windowStart;
      if (windowEnd - this.clearingSince < keepFiringMs) return undefined;
      this.reset();
      return 'clear';
    }
    this.clearingSince = undefined;
    return holds === true ? 'still-firing' : undefined;
  }

  /** The machine stopped (run-state gate): a pending period does not carry over a stop. */
  pause(): void {
    this.pendingSince = undefined;
    this.clearingSince = undefined;
  }

  reset(): void {
    this.firing = false;
    this.pendingSince = undefined;
    this.clearingSince = undefined;
  }
}
