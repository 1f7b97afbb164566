import { type Static, Type } from '@sinclair/typebox';
import { Duration } from '../../shared/duration.js';
import { Fault, Severity } from '../../shared/schema/ticket.js';

const Glob = Type.String({ pattern: '^[A-Za-z0-9_.*-]{1,64}$' });
/** A signal as conditions name it: `temperature`, `velocityRmsMmS`, or `de.velocityRmsMmS`. */
const SignalName = Type.String({
  pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?$',
  description: 'a feature or reading channel, e.g. velocityRmsMmS or temperature',
});
const Condition = Type.String({ minLength: 1, maxLength: 1000, description: 'e.g. temperature > 65' });

export const TrendSpec = Type.Object(
  {
    metric: SignalName,
    threshold: Type.Number(),
    /** Rising toward a maximum (default) or falling toward a minimum. */
    direction: Type.Optional(Type.Union([Type.Literal('rising'), Type.Literal('falling')])),
    /** Raise the predicted ticket when the projected crossing is closer than this. */
    horizon: Duration,
    /** How much recent history the fit uses. */
    history: Duration,
    model: Type.Optional(Type.Union([Type.Literal('linear'), Type.Literal('exponential')])),
    minPoints: Type.Optional(Type.Integer({ minimum: 3, maximum: 300 })),
    unit: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type TrendSpec = Static<typeof TrendSpec>;

/**
 * One rule. What it watches is exactly one of: `when` (a condition), `metric` + `above` (a
 * threshold, shorthand for a `when`), `trend` (a prediction), or `noData` (a silent sensor).
 */
export const RuleSpec = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,63}$' }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    appliesTo: Type.Optional(
      Type.Object(
        {
          assets: Type.Optional(Type.Array(Glob, { minItems: 1 })),
          channels: Type.Optional(Type.Array(Glob, { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    when: Type.Optional(Condition),
    /** Hysteresis: once firing, the rule clears only when this holds (default: when `when` no longer holds). */
    clearWhen: Type.Optional(Condition),
    metric: Type.Optional(SignalName),
    above: Type.Optional(Type.Number()),
    /** Threshold shorthand's hysteresis: once firing, clears only below this value (defaults to `above`). */
    clearBelow: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String({ maxLength: 32 })),
    trend: Type.Optional(TrendSpec),
    /** Raise a sensor_fault when a channel delivers no good value for this long (wall clock). */
    noData: Type.Optional(Duration),
    /** Pending period: the condition must hold this long before a ticket is raised. */
    for: Type.Optional(Duration),
    /** Once firing, the clear condition must hold this long before the ticket clears. */
    keepFiring: Type.Optional(Duration),
    /** Run-state gate: the rule is evaluated only while this holds, e.g. `rpm > 100`. */
    runningWhen: Type.Optional(Condition),
    /** Readings older than this count as missing in this rule's conditions (default from the agent config). */
    staleAfter: Type.Optional(Duration),
    /** How `baseline(x)` in the conditions is learned: median of the first `learn` of running data. */
    baseline: Type.Optional(
      Type.Object(
        { learn: Duration, minSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) },
        { additionalProperties: false },
      ),
    ),
    severity: Severity,
    fault: Fault,
    /**
     * A generic condition (fault `threshold`) that a diagnosis explains: while a ticket for one of
     * these faults is open on the asset, this rule's firing joins that ticket as a folded
     * contributor instead of raising its own. Fault names, or `any-diagnosed-fault`.
     */
    explainedBy: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 16 }),
    ),
    summary: Type.Optional(Type.String({ maxLength: 2000 })),
    action: Type.String({ minLength: 1, maxLength: 4000 }),
  },
  { additionalProperties: false },
);
export type RuleSpec = Static<typeof RuleSpec>;

export const RuleFile = Type.Object(
  { rules: Type.Array(RuleSpec, { minItems: 1 }) },
  { additionalProperties: false },
);
export type RuleFile = Static<typeof RuleFile>;
