import { type Static, Type } from '@sinclair/typebox';
import { FEATURE_METRICS } from '../../shared/schema/features.js';
import { Fault, Severity } from '../../shared/schema/ticket.js';

/** "10s", "5m", "1h": durations measured on the data's own clock, so replays at N× behave the same. */
export const Duration = Type.String({
  pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$',
  description: 'duration like 30s',
});

const Glob = Type.String({ pattern: '^[A-Za-z0-9_.*-]{1,64}$' });

export const ThresholdRuleSpec = Type.Object(
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
    metric: Type.Union(FEATURE_METRICS.map((m) => Type.Literal(m))),
    unit: Type.Optional(Type.String()),
    above: Type.Number(),
    /** Hysteresis: once firing, the rule clears only below this value (defaults to `above`). */
    clearBelow: Type.Optional(Type.Number()),
    /** Pending period: the condition must hold this long before a ticket is raised. */
    for: Type.Optional(Duration),
    severity: Severity,
    fault: Fault,
    summary: Type.Optional(Type.String({ maxLength: 2000 })),
    action: Type.String({ minLength: 1, maxLength: 4000 }),
  },
  { additionalProperties: false },
);
export type ThresholdRuleSpec = Static<typeof ThresholdRuleSpec>;

export const RuleFile = Type.Object(
  { rules: Type.Array(ThresholdRuleSpec, { minItems: 1 }) },
  { additionalProperties: false },
);
export type RuleFile = Static<typeof RuleFile>;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export function durationMs(duration: string | undefined): number {
  if (!duration) return 0;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(duration);
  if (!match) throw new RangeError(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
