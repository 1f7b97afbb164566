/** Edge nodes remembered before the memory starts over (a bound against a flood of made-up node ids). */
const REMEMBERED_NODES_MAX = 10_000;

/**
 * At most one rebirth request per edge node per interval: a node that keeps losing messages must not
 * be kept busy re-sending its births, nor the broker flooded with commands.
 */
export class RebirthThrottle {
  private readonly lastAsked = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  /** True (and remembered) when the node may be asked now. */
  mayAsk(node: string, now: number): boolean {
    const last = this.lastAsked.get(node);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (this.lastAsked.size >= REMEMBERED_NODES_MAX) this.lastAsked.clear();
    this.lastAsked.set(node, now);
    return true;
  }
}
