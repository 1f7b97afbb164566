import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelayMs } from '../../shared/backoff.js';
import type { IngestReply, IngestRequest } from '../../shared/schema/index.js';
import { sleep } from '../../shared/time.js';
import type { Outbox } from '../outbox/outbox.js';

export interface ReplicatorOptions {
  outbox: Outbox;
  gatewayId: string;
  cloudUrl: string;
  token: string;
  batchMaxEvents: number;
  batchMaxBytes: number;
  backoff: BackoffPolicy;
  requestTimeoutMs: number;
  logger: Logger;
}

export type ReplicatorState = 'idle' | 'sending' | 'backing-off' | 'stopped';

export interface ReplicatorHealth {
  state: ReplicatorState;
  sentEvents: number;
  failedAttempts: number;
  consecutiveFailures: number;
  lastError?: string;
  lastSuccessAt?: string;
}

/** The cloud asked us to slow down; Retry-After says for how long. */
class RateLimited extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/**
 * Sends outbox events to cloud ingest in seq order. Events are marked acknowledged only from the
 * cloud's reply (its watermark), never on send, so a crash or a lost reply causes a resend, which
 * the cloud ignores; it never causes a loss.
 */
export class Replicator {
  private readonly health_: ReplicatorHealth = {
    state: 'idle',
    sentEvents: 0,
    failedAttempts: 0,
    consecutiveFailures: 0,
  };
  private readonly stopping = new AbortController();
  private wake?: () => void;
  private loop?: Promise<void>;
  private batchMaxEvents: number;

  constructor(private readonly options: ReplicatorOptions) {
    this.batchMaxEvents = options.batchMaxEvents;
  }

  health(): ReplicatorHealth {
    return { ...this.health_ };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Called after an event is committed, so it leaves without waiting for a poll. */
  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    this.health_.state = 'stopped';
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const batch = this.options.outbox.pending(this.batchMaxEvents, this.options.batchMaxBytes);
      if (batch.events.length === 0) {
        this.health_.state = 'idle';
        await this.waitForWork(30_000);
        continue;
      }
      this.health_.state = 'sending';
      try {
        const reply = await this.send({ gatewayId: this.options.gatewayId, events: batch.events });
        const outbox = this.options.outbox;
        const { lastSeq } = outbox.stats();
        if (reply.ackedSeq > lastSeq && reply.duplicates === batch.events.length) {
          const { renumbered, offset } = outbox.rebase(reply.ackedSeq);
          this.options.logger.warn(
            { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq, renumbered, offset },
            'the cloud already holds events up to a higher seq for this gateway (outbox recreated?); ' +
              'pending events renumbered after it and sent again',
          );
          continue;
        }
        const result = outbox.acknowledge(reply.ackedSeq);
        if (result.ahead) {
          this.options.logger.error(
            { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq },
            'cloud acknowledges more events than this outbox holds: two gateways may share this gateway id; give each its own',
          );
        }
        this.health_.sentEvents += batch.events.length;
        this.health_.consecutiveFailures = 0;
        this.health_.lastSuccessAt = new Date().toISOString();
        // Additive increase after a 413's halving (AIMD, as TCP does): a size the cloud refused is
        // approached again slowly instead of being retried at once.
        this.batchMaxEvents = Math.min(this.options.batchMaxEvents, this.batchMaxEvents + 1);
      } catch (error) {
        if (signal.aborted) break;
        this.health_.failedAttempts++;
        const attempt = this.health_.consecutiveFailures++;
        this.health_.lastError = (error as Error).message;
        const backoff = backoffDelayMs(this.options.backoff, attempt);
        const delay = error instanceof RateLimited ? Math.max(backoff, error.retryAfterMs) : backoff;
        this.options.logger.warn(
          {
            err: (error as Error).message,
            attempt: attempt + 1,
            retryInMs: Math.round(delay),
            pending: batch.events.length,
          },
          'replication to the cloud failed; events stay in the outbox',
        );
        this.health_.state = 'backing-off';
        await sleep(delay, signal);
      }
    }
  }

  private waitForWork(maxMs: number): Promise<void> {
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

  private async send(body: IngestRequest): Promise<IngestReply> {
    const response = await fetch(new URL('/api/v1/ingest', this.options.cloudUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(this.options.requestTimeoutMs), this.stopping.signal]),
    });
    const text = await response.text();
    if (response.ok) {
      const reply = JSON.parse(text) as IngestReply;
      if (!Number.isInteger(reply.ackedSeq))
        throw new Error(`cloud reply has no integer ackedSeq: ${text.slice(0, 200)}`);
      return reply;
    }
    const detail = `${response.status} ${text.slice(0, 300)}`;
    if (response.status === 413 && body.events.length > 1) {
      this.batchMaxEvents = Math.max(1, Math.floor(body.events.length / 2));
      throw new Error(
        `cloud refused the batch size (${detail}); retrying with at most ${this.batchMaxEvents} events`,
      );
    }
    if (response.status === 429) {
      const retryAfterS = Number(response.headers.get('retry-after'));
      throw new RateLimited(
        `cloud is rate-limiting this gateway (${detail})`,
        Number.isFinite(retryAfterS) ? retryAfterS * 1000 : 0,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new Error(
        `cloud refused this gateway's credentials (${detail}); check cloud.token in the edge config`,
      );
    }
    throw new Error(`cloud ingest answered ${detail}`);
  }
}
