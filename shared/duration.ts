import { Type } from '@sinclair/typebox';

/** "500ms", "10s", "5m", "1h", "7d": how every config and rule file writes a duration. */
export const Duration = Type.String({
  pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$',
  description: 'duration like 30s, 5m, 2h, 7d',
});

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration in ms; absent means none (0). The schema has checked the shape already. */
export function durationMs(duration: string | undefined): number {
  if (!duration) return 0;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new RangeError(`'${duration}' is not a duration; write e.g. 500ms, 30s, 5m, 2h or 7d`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}
