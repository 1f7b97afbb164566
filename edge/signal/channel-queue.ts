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
  /** Called instead of the job when it is dropped or cleared: what it holds is let go. */
  discard: (() => void) | undefined;
}

/**
 * Waveform analyses, one at a time per asset channel (its diagnoser's state and its evidence
 * belong to one waveform at a time), in arrival order, with bounded waiting: when a gateway cannot
 * keep up, the newest waveform of a channel wins and the oldest waiting ones are dropped, counted.
 * Scalar readings and tickets never pass through here, so they are never dropped.
 */
export class ChannelQueue {
  private readonly running = new Set<string>();
  private readonly waiting: Waiting[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ChannelQueueOptions) {}

  get inFlight(): number {
    return this.running.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  submit(channel: string, job: () => Promise<void>, discard?: () => void): void {
    if (this.running.size === 0 && this.waiting.length === 0) this.options.onBusy?.();
    if (!this.running.has(channel)) {
      this.run(channel, job);
      return;
    }
    const ofChannel = this.waiting.filter((w) => w.channel === channel);
    if (ofChannel.length >= this.options.perChannel)
      this.drop(this.waiting.indexOf(ofChannel[0]!), 'superseded');
    else if (this.waiting.length >= this.options.total) this.drop(0, 'overload');
    this.waiting.push({ channel, job, discard });
  }

  /** Resolves when nothing runs or waits any more (at once when idle). */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets every waiting waveform (shutdown): they are not tickets. */
  clear(): void {
    for (const waiting of this.waiting.splice(0)) waiting.discard?.();
    this.settleIdle();
  }

  private drop(index: number, reason: DropReason): void {
    const [dropped] = this.waiting.splice(index, 1);
    if (!dropped) return;
    dropped.discard?.();
    this.options.onDropped(reason, dropped.channel);
  }

  private run(channel: string, job: () => Promise<void>): void {
    this.running.add(channel);
    // Jobs report their own failures; one that throws anyway must not stop its channel.
    void job()
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(channel);
        const next = this.waiting.findIndex((w) => w.channel === channel);
        if (next >= 0) {
          const [waiting] = this.waiting.splice(next, 1);
          this.run(channel, waiting!.job);
        }
        this.settleIdle();
      });
  }

  private settleIdle(): void {
    if (this.running.size > 0 || this.waiting.length > 0) return;
    this.options.onIdle?.();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
