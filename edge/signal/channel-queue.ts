/** Why a waveform was not analysed: documented in README.md ("Waveform analysis on the gateway"). */
export type DropReason = 'superseded' | 'overload';

export interface ChannelQueueOptions {
  /** Waveforms waiting per channel behind the one being analysed; the oldest gives way. */
  perChannel: number;
  /** Waveforms waiting over all channels; beyond it the oldest waiting one gives way. */
  total: number;
  onDropped(reason: DropReason, channel: string): void;
  /** Nothing runs or waits any more, after something did. */
  onIdle?(): void;
  /** Something runs again, after nothing did. */
  onBusy?(): void;
}

interface Waiting {
  channel: string;
  job: () => Promise<void>;
}

/**
 * Waveform analyses, one at a time per asset channel (its diagnoser's state and its evidence
 * belong to one waveform at a time), in arrival order, with bounded waiting: when a gateway cannot
 * keep up, the newest waveform of a channel wins and the oldest waiting ones are dropped, counted.
 * Scalar readings and tickets never pass through here, so they are never dropped.
 */
export class ChannelQueue {
  private readonly running = new Set<string>();
  /** Waiting jobs per channel, oldest first. */
  private readonly waitingOf = new Map<string, Waiting[]>();
  /**
   * Every waiting job, in arrival order (a Set keeps it): the oldest goes first under overload.
   * Under a flood hundreds wait, and this is touched for every waveform: no scans.
   */
  private readonly waiting = new Set<Waiting>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ChannelQueueOptions) {}

  get inFlight(): number {
    return this.running.size;
  }

  get queued(): number {
    return this.waiting.size;
  }

  submit(channel: string, job: () => Promise<void>): void {
    if (this.running.size === 0 && this.waiting.size === 0) this.options.onBusy?.();
    if (!this.running.has(channel)) {
      this.run(channel, job);
      return;
    }
    const ofChannel = this.waitingOf.get(channel) ?? [];
    if (ofChannel.length >= this.options.perChannel) this.drop(ofChannel[0]!, 'superseded');
    else if (this.waiting.size >= this.options.total)
      this.drop(this.waiting.values().next().value!, 'overload');
    const waiting = { channel, job };
    ofChannel.push(waiting);
    this.waitingOf.set(channel, ofChannel);
    this.waiting.add(waiting);
  }

  /** Resolves when nothing runs or waits any more (at once when idle). */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets every waiting waveform (shutdown): they are not tickets. */
  clear(): void {
    this.waiting.clear();
    this.waitingOf.clear();
    this.settleIdle();
  }

  /** The oldest waiting job of its channel (the oldest of all is that too): forgotten, and counted. */
  private drop(dropped: Waiting, reason: DropReason): void {
    this.take(dropped.channel);
    this.options.onDropped(reason, dropped.channel);
  }

  /** The oldest waiting job of a channel, taken out of the queue. */
  private take(channel: string): Waiting | undefined {
    const ofChannel = this.waitingOf.get(channel);
    const oldest = ofChannel?.shift();
    if (!oldest) return undefined;
    if (ofChannel!.length === 0) this.waitingOf.delete(channel);
    this.waiting.delete(oldest);
    return oldest;
  }

  private run(channel: string, job: () => Promise<void>): void {
    this.running.add(channel);
    // Jobs report their own failures; one that throws anyway must not stop its channel.
    void job()
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(channel);
        const next = this.take(channel);
        if (next) this.run(channel, next.job);
        this.settleIdle();
      });
  }

  private settleIdle(): void {
    if (this.running.size > 0 || this.waiting.size > 0) return;
    this.options.onIdle?.();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
