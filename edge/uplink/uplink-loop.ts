import { type BackoffPolicy, backoffDelayMs } from '../../shared/backoff.js';
import { sleep } from '../../shared/time.js';
import { type CloudAnswer, type CloudLink, postToCloud, RetryLater } from './cloud-post.js';

/** A batch to send: how many items (events, points) it carries is what a 413 halves. */
export interface UplinkBatch {
  count: number;
}

/** The states every uplink has; a policy adds its own (`probing`, `waiting-for-tickets`). */
export type UplinkState<Extra extends string = never> =
  'idle' | 'sending' | 'backing-off' | 'stopped' | Extra;

export interface UplinkHealth<Extra extends string = never> {
  state: UplinkState<Extra>;
  failedAttempts: number;
  consecutiveFailures: number;
  lastError?: string;
  lastSuccessAt?: string;
}

/** What the loop should do next, as its policy sees it. */
export type UplinkStep<Batch extends UplinkBatch, Extra extends string> =
  /** Post this batch, in this state. */
  | { send: Batch; state: UplinkState<Extra> }
  /** Nothing to send yet: sleep this long, or until notify(). Without a state the state stays. */
  | { waitMs: number; state?: UplinkState<Extra> }
  /** The batch could not even be read: back off as if the link had failed. */
  | { failed: unknown };

/** The link as the loop sees it when the policy chooses the next batch. */
export interface UplinkView {
  /** Items per batch for now: halved by a 413, grown back one per success. */
  batchLimit: number;
  consecutiveFailures: number;
}

/** A failure the policy reports (logs) as it sees fit. */
export interface UplinkFailure<Batch> {
  message: string;
  /** 1 for the first failure of an outage. */
  attempt: number;
  retryInMs: number;
  /** Undefined when the batch could not be read. */
  batch?: Batch;
  /** The same failure as the previous attempt's: worth a debug line, not another warning. */
  repeated: boolean;
}

/**
 * What one kind of data makes of the shared loop, as a Vector sink's RetryLogic: what to read, what
 * a 2xx answer acknowledges, what a refusal means and what is dropped.
 */
export interface UplinkPolicy<Batch extends UplinkBatch, Extra extends string> {
  /** The cloud route the batches go to. */
  path: string;
  /** What to do next: a batch to send, a wait, or a read that failed. */
  next(view: UplinkView): UplinkStep<Batch, Extra> | Promise<UplinkStep<Batch, Extra>>;
  /** The batch as a request body (encodeCloudBody), encoded once the loop is in the sending state. */
  body(batch: Batch): Promise<string | Buffer>;
  /**
   * The cloud answered 2xx: acknowledge what the answer acknowledges. Returns whether the batch
   * counts as delivered (a success of the link); may throw to treat the answer as a failure.
   */
  delivered(answer: CloudAnswer, batch: Batch): boolean;
  /**
   * A non-2xx answer as an error; a BatchRefused one is dropped (or set aside) rather than retried,
   * and the next batch goes without a backoff.
   */
  refusal(answer: CloudAnswer, batch: Batch): Error;
  /** The message of a 413 that halves the batch size to `limit`. */
  tooLarge(answer: CloudAnswer, batch: Batch, limit: number): string;
  /**
   * Drops a batch the cloud refused for what it holds (telemetry), or reports the events refusal()
   * set aside (the outbox); returns the problem to report as lastError.
   */
  drop?(batch: Batch, reason: string): string;
  failed(failure: UplinkFailure<Batch>): void;
  /** The first success after `failures` failed attempts in a row. */
  recovered?(failures: number): void;
}

export interface UplinkOptions extends CloudLink {
  backoff: BackoffPolicy;
  batchMaxItems: number;
  /**
   * Give up waiting for the loop on stop after this long. Undefined: wait until it ends, for a loop
   * whose store closes after it (the outbox).
   */
  stopTimeoutMs?: number;
}

/** The cloud refused this batch for what it contains: sending it again cannot succeed. */
export class BatchRefused extends Error {}

/**
 * The loop every uplink to the cloud runs, written once: wait for work (notify() wakes it), post a
 * batch, back off with jitter after a failure (at least as long as the Retry-After of a 429 or 503 asks), halve
 * the batch on a 413 and grow it back one item per success (AIMD, as TCP does), and keep the health.
 * The policy says what is sent and what an answer means; Replicator and TelemetryShipper are this
 * loop with theirs.
 */
export class UplinkLoop<Batch extends UplinkBatch, Extra extends string = never> {
  private readonly health_: UplinkHealth<Extra> = {
    state: 'idle',
    failedAttempts: 0,
    consecutiveFailures: 0,
  };
  private readonly stopping = new AbortController();
  private wake?: () => void;
  /** notify() came since the policy last looked: do not go to sleep. */
  private notified = false;
  private loop?: Promise<void>;
  private batchLimit: number;

  constructor(
    private readonly options: UplinkOptions,
    private readonly policy: UplinkPolicy<Batch, Extra>,
  ) {
    this.batchLimit = options.batchMaxItems;
  }

  health(): UplinkHealth<Extra> {
    return { ...this.health_ };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New work (an event committed, points buffered): look now rather than at the next poll. */
  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Aborts a request in flight and waits for the loop (at most stopTimeoutMs). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    const { stopTimeoutMs } = this.options;
    if (stopTimeoutMs === undefined) await this.loop;
    else if (this.loop) await Promise.race([this.loop, sleep(stopTimeoutMs)]);
    this.health_.state = 'stopped';
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      this.notified = false;
      const next = this.policy.next({
        batchLimit: this.batchLimit,
        consecutiveFailures: this.health_.consecutiveFailures,
      });
      // A step known at once is taken at once: start() returns with the loop already sending.
      const step = next instanceof Promise ? await next : next;
      if ('failed' in step) {
        await this.failed(step.failed, undefined);
      } else if ('waitMs' in step) {
        if (step.state) this.health_.state = step.state;
        if (!this.notified) await this.waitForWork(step.waitMs);
      } else {
        this.health_.state = step.state;
        await this.send(step.send);
      }
    }
  }

  private async send(batch: Batch): Promise<void> {
    try {
      const body = await this.policy.body(batch);
      const answer = await postToCloud(this.options, this.policy.path, body, this.stopping.signal);
      if (!answer.ok) throw this.refusal(answer, batch);
      if (!this.policy.delivered(answer, batch)) return;
      const failures = this.health_.consecutiveFailures;
      if (failures > 0) this.policy.recovered?.(failures);
      this.health_.consecutiveFailures = 0;
      this.health_.lastSuccessAt = new Date().toISOString();
      this.batchLimit = Math.min(this.options.batchMaxItems, this.batchLimit + 1);
    } catch (error) {
      await this.failed(error, batch);
    }
  }

  private refusal(answer: CloudAnswer, batch: Batch): Error {
    if (answer.status === 413 && batch.count > 1) {
      this.batchLimit = Math.max(1, Math.floor(batch.count / 2));
      return new Error(this.policy.tooLarge(answer, batch, this.batchLimit));
    }
    return this.policy.refusal(answer, batch);
  }

  private async failed(error: unknown, batch: Batch | undefined): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return;
    const message = (error as Error).message;
    if (error instanceof BatchRefused && batch && this.policy.drop) {
      this.health_.lastError = this.policy.drop(batch, message);
      return;
    }
    this.health_.failedAttempts++;
    const attempt = this.health_.consecutiveFailures++;
    const backoff = backoffDelayMs(this.options.backoff, attempt);
    const delay = error instanceof RetryLater ? Math.max(backoff, error.retryAfterMs) : backoff;
    this.policy.failed({
      message,
      attempt: attempt + 1,
      retryInMs: Math.round(delay),
      ...(batch ? { batch } : {}),
      repeated: attempt > 0 && message === this.health_.lastError,
    });
    this.health_.lastError = message;
    this.health_.state = 'backing-off';
    await sleep(delay, signal);
  }

  private waitForWork(maxMs: number): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.wake = done;
    });
  }
}
