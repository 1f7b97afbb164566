/**
 * Wraps a periodic check so that a run coming late because the agent itself was blocked (a long
 * analysis, a swapping gateway) is skipped once: the readings that arrived meanwhile still wait in
 * the sockets, and the agent's own stall is not a sensor's silence. A sensor really silent is called
 * one period later.
 */
export function skipAfterStalls(
  check: () => void,
  periodMs: number,
  now: () => number = () => performance.now(),
): () => void {
  let lastRunAt = now();
  return () => {
    const at = now();
    const stalled = at - lastRunAt > 2 * periodMs;
    lastRunAt = at;
    if (!stalled) check();
  };
}
