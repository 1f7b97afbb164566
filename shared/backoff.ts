export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * half the exponential delay is kept, the other half is random, so a fleet of gateways that lost the
 * link together does not reconnect in lockstep, and no retry comes back immediately.
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt));
  return exponential / 2 + random() * (exponential / 2);
}
