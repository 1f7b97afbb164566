/**
 * The window a measurement's own timestamp must fall in. A timestamp outside it is a unit or clock
 * mistake of the sender, and a ticket built on it would be refused by the cloud for ever.
 */
export interface TimeWindow {
  /** How far ahead of the gateway's clock a sender's clock may run. */
  maxFutureSkewMs: number;
  /** Nothing is measured before this (epoch ms). */
  earliestMs: number;
}

/** `input.maxFutureSkew: 1d`, `input.earliest: 2000-01-01`. */
export const DEFAULT_TIME_WINDOW: TimeWindow = {
  maxFutureSkewMs: 86_400_000,
  earliestMs: Date.UTC(2000, 0, 1),
};

const yearOf = (ms: number): string => {
  const year = new Date(ms).getUTCFullYear();
  return Number.isNaN(year) ? 'beyond any calendar' : `in the year ${year}`;
};

/** The unit the sender probably used, judged by how far off the number is from now in milliseconds. */
function likelyCause(ts: number, now: number): string {
  if (ts > now * 1e5)
    return 'looks like nanoseconds since epoch; send epoch milliseconds (divide by 1,000,000)';
  if (ts > now * 100) return 'looks like microseconds since epoch; send epoch milliseconds (divide by 1000)';
  if (ts < now / 100 && ts > now / 1e5)
    return 'looks like seconds since epoch; send epoch milliseconds (multiply by 1000)';
  return "check the sender's clock (NTP)";
}

/** 86400000 → "1d", 90000 → "90s": as the config writes it. */
function spanText(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * Why `ts` (epoch ms, as the field `field` gave it) cannot be a measurement time at `now`, naming the
 * field and the likely cause; undefined when it is plausible.
 */
export function implausibleTime(
  field: string,
  ts: number,
  now: number,
  window: TimeWindow = DEFAULT_TIME_WINDOW,
): string | undefined {
  if (ts > now + window.maxFutureSkewMs) {
    return `${field} ${ts} is ${yearOf(ts)}, more than input.maxFutureSkew (${spanText(window.maxFutureSkewMs)}) ahead of the gateway's clock: ${likelyCause(ts, now)}`;
  }
  if (ts < window.earliestMs) {
    return `${field} ${ts} is ${yearOf(ts)}, before input.earliest (${new Date(window.earliestMs).toISOString().slice(0, 10)}): ${likelyCause(ts, now)}`;
  }
  return undefined;
}
