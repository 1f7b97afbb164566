import type { Reading } from '../../../shared/schema/index.js';

interface Held {
  reading: Reading;
  /** Wall time the sample arrived: the refreshed timestamp is the sample's own plus the wall time since. */
  receivedAt: number;
  /** Wall time the node last delivered a new sample (a different value or timestamp). */
  changedAt: number;
  /** Wall time the reading was last handed on, first or refreshed. */
  deliveredAt: number;
}

/** A node: after `maxSilenceMs` without a new sample it is not held current any more. */
export interface HeldNode {
  maxSilenceMs?: number;
}

/**
 * The last good reading of each node of one connection, held current while the connection proves
 * the server alive. A server sends nothing while a value holds steady (OPC-UA reports changes), so
 * without this a PLC tag at a constant 12,000 rpm would age past `rules.staleAfter` and look silent.
 *
 * The refreshed timestamp is the sample's own timestamp plus the wall time since it arrived: "still
 * this value now", in the node's own clock, so an offset between the PLC, the server and the gateway
 * cannot make a held value look old or from the future.
 */
export class HeldValues<Node extends HeldNode> {
  private readonly held = new Map<Node, Held>();

  /**
   * A held value is handed on again at most twice per keep-alive period: keep-alives jitter, and with
   * a whole period as the minimum a keep-alive arriving a few milliseconds early was skipped, leaving
   * the value unconfirmed for two periods (long enough for a `noData` rule to call a live tag silent).
   */
  private readonly refreshEveryMs: number;

  constructor(keepAlivePeriodMs: number) {
    this.refreshEveryMs = keepAlivePeriodMs / 2;
  }

  /**
   * A reading the node delivered. Returns what to hand on: the reading, the same sample refreshed
   * when it is only a re-delivery (a poll, a re-created subscription's first value), or nothing
   * when that re-delivery comes from a node silent past its `maxSilence`.
   */
  received(node: Node, reading: Reading, wallNow: number): Reading | undefined {
    if ((reading.quality ?? 'good') !== 'good') {
      // A status that is not good ends the hold: the value is unknown until the next good one.
      this.held.delete(node);
      return reading;
    }
    const previous = this.held.get(node);
    if (previous && previous.reading.ts === reading.ts && previous.reading.value === reading.value) {
      if (silentTooLong(node, previous, wallNow)) return undefined;
      previous.deliveredAt = wallNow;
      return this.refreshed(previous, wallNow);
    }
    this.held.set(node, { reading, receivedAt: wallNow, changedAt: wallNow, deliveredAt: wallNow });
    return reading;
  }

  /**
   * The subscription answered (data or keep-alive) at `wallNow`: the server is alive and has reported
   * no change, so every held value still holds. Returns those due for a refresh.
   */
  confirmed(wallNow: number): Reading[] {
    const due: Reading[] = [];
    for (const [node, held] of this.held) {
      if (wallNow - held.deliveredAt < this.refreshEveryMs) continue;
      if (silentTooLong(node, held, wallNow)) continue;
      held.deliveredAt = wallNow;
      due.push(this.refreshed(held, wallNow));
    }
    return due;
  }

  /** The connection ended: nothing is held current by it any more. */
  clear(): void {
    this.held.clear();
  }

  private refreshed(held: Held, wallNow: number): Reading {
    return { ...held.reading, ts: held.reading.ts + (wallNow - held.receivedAt) };
  }
}

/** A node frozen while its server says all is well: its per-node watchdog lets it go stale. */
function silentTooLong(node: HeldNode, held: Held, wallNow: number): boolean {
  return node.maxSilenceMs !== undefined && wallNow - held.changedAt > node.maxSilenceMs;
}
