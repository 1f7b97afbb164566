/** One benchmark figure in the contract's shape: a value and its baseline measured in the same run. */
export interface BenchResult {
  name: string;
  n: number | null;
  unit: 'ops/s' | 'events/s' | 's' | 'channels' | 'MB';
  value: number;
  baseline: { name: string; value: number };
  ratio: number;
}

/**
 * Calls fn repeatedly for about `seconds` (after a warm-up): how many calls, in how much wall time.
 * Bounded both in time and in count, so a benchmark always stops by itself.
 */
async function timedCalls(
  fn: () => unknown | Promise<unknown>,
  seconds: number,
  maxCalls: number,
): Promise<{ calls: number; wallS: number }> {
  for (let i = 0; i < 5; i++) await fn();
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  while (calls < maxCalls && process.hrtime.bigint() - start < budget) {
    await fn();
    calls++;
  }
  return { calls, wallS: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Calls per second of fn, called repeatedly for about `seconds`. */
export async function opsPerSecond(
  fn: () => unknown | Promise<unknown>,
  seconds = 1,
  maxCalls = 1_000_000,
): Promise<number> {
  const { calls, wallS } = await timedCalls(fn, seconds, maxCalls);
  return calls / wallS;
}

export function result(
  name: string,
  n: number | null,
  unit: BenchResult['unit'],
  value: number,
  baselineName: string,
  baselineValue: number,
): BenchResult {
  const round = (v: number) => Number(v.toPrecision(4));
  return {
    name,
    n,
    unit,
    value: round(value),
    baseline: { name: baselineName, value: round(baselineValue) },
    ratio: round(value / baselineValue),
  };
}
