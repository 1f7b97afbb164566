import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelayMs } from '../../shared/backoff.js';
import type { IngestReply } from '../../shared/schema/index.js';
import { sleep } from '../../shared/time.js';
import type { Outbox, PendingBatch } from '../outbox/outbox.js';
import {
  answerDetail,
  type CloudLink,
  cloudError,
  encodeCloudBody,
  postToCloud,
  RateLimited,
} from './cloud-post.js';

export interface ReplicatorOptions extends CloudLink {
  outbox: Outbox;
  gatewayId: string;
  batchMaxEvents: number;
  batchMaxBytes: number;
  backoff: BackoffPolicy;
  logger: Logger;
  /**
   * At most this many backlog events a second (undefined: as fast as the cloud takes them), so a
   * gateway back from a long outage does not saturate a thin link. The newest events are not held
   * back by it.
   */
  backlogEventsPerSecond?: number;
}

interface PreparedBatch {
  count: number;
  lastSeq: number;
  body: string | Buffer;
}
const CIRCUIT_OPEN_AFTER_FAILURES = 3;

export type ReplicatorState = 'idle' | 'sending' | 'probing' | 'backing-off' | 'stopped';

export interface ReplicatorHealth {
  state: ReplicatorState;
  sentEvents: number;
  /** Events sent ahead of a backlog, newest first, so the cloud sees the present before the past. */
  sentAheadOfBacklog: number;
  failedAttempts: number;
  consecutiveFailures: number;
  lastError?: string;
  lastSuccessAt?: string;
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
    sentAheadOfBacklog: 0,
    failedAttempts: 0,
    consecutiveFailures: 0,
  };
  private readonly stopping = new AbortController();
  private wake?: () => void;
  /** An event was committed since the loop last looked: do not go to sleep. */
  private committedSinceRead = false;
  private loop?: Promise<void>;
  private batchMaxEvents: number;
  /** The highest seq sent ahead of the backlog: each newest event goes ahead once. */
  private sentAheadUpTo = 0;
  /** When the backlog may send its next batch, under backlogEventsPerSecond. */
  private backlogNextAt = 0;

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
    this.committedSinceRead = true;
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
    let readAhead: { afterSeq: number; batch: Promise<PreparedBatch> } | undefined;
    while (!signal.aborted) {
      // After a few failures in a row the link is presumed dead: probe it with one event rather than
      // pushing full batches (megabytes on a metered link) into it on every retry.
      const probing = this.health_.consecutiveFailures >= CIRCUIT_OPEN_AFTER_FAILURES;
      const { ackedSeq, pending } = this.options.outbox.stats();
      this.committedSinceRead = false;
      // More than a batch waits: events beyond the next backlog batch that have not gone ahead yet
      // are sent first, newest first. The cloud applies them at once unless their asset still has
      // older events in the backlog, so a fresh fault is seen while last week drains.
      const backlogged = pending > this.batchMaxEvents && !probing;
      if (backlogged) {
        const newest = this.options.outbox.newest(
          this.batchMaxEvents,
          this.options.batchMaxBytes,
          Math.max(this.sentAheadUpTo, ackedSeq + this.batchMaxEvents),
        );
        if (newest.seqs.length > 0) {
          this.health_.state = 'sending';
          if (await this.sendAndAcknowledge(await this.encode(newest, ackedSeq), signal)) {
            this.sentAheadUpTo = newest.seqs.at(-1) ?? this.sentAheadUpTo;
            this.health_.sentAheadOfBacklog += newest.seqs.length;
          }
          continue;
        }
        const wait = this.backlogNextAt - Date.now();
        if (wait > 0) {
          // A new event ends the wait early: it goes ahead of the backlog.
          if (!this.committedSinceRead) await this.waitForWork(wait);
          continue;
        }
      }
      const ahead =
        readAhead?.afterSeq === ackedSeq && !probing
          ? await readAhead.batch.catch(() => undefined)
          : undefined;
      readAhead = undefined;
      const batch =
        ahead && ahead.count > 0 ? ahead : await this.prepare(ackedSeq, probing ? 1 : this.batchMaxEvents);
      if (batch.count === 0) {
        this.health_.state = 'idle';
        if (!this.committedSinceRead) await this.waitForWork(30_000);
        continue;
      }
      this.health_.state = probing ? 'probing' : 'sending';
      // While this batch is on the wire, the next one is read and compressed: a backlog drains at
      // the cloud's pace rather than at the sum of both sides'.
      if (!probing) {
        const next = this.prepare(batch.lastSeq, this.batchMaxEvents);
        next.catch(() => {}); // a read-ahead that fails is read again, never left unhandled
        readAhead = { afterSeq: batch.lastSeq, batch: next };
      }
      if (await this.sendAndAcknowledge(batch, signal)) {
        const rate = this.options.backlogEventsPerSecond;
        if (backlogged && rate) this.backlogNextAt = Date.now() + (batch.count / rate) * 1000;
      }
    }
  }

  /**
   * Sends one batch and records the cloud's watermark; on failure, backs off. Returns whether the
   * cloud took it.
   */
  private async sendAndAcknowledge(batch: PreparedBatch, signal: AbortSignal): Promise<boolean> {
    try {
      const reply = await this.send(batch);
      const outbox = this.options.outbox;
      const { lastSeq } = outbox.stats();
      if (reply.ackedSeq > lastSeq && reply.duplicates === batch.count) {
        const { renumbered, offset } = outbox.rebase(reply.ackedSeq);
        this.sentAheadUpTo = 0;
        this.options.logger.warn(
          { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq, renumbered, offset },
          'the cloud already holds events up to a higher seq for this gateway (outbox recreated?); ' +
            'pending events renumbered after it and sent again',
        );
        return true;
      }
      const result = outbox.acknowledge(reply.ackedSeq);
      if (result.ahead) {
        this.options.logger.error(
          { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq },
          'cloud acknowledges more events than this outbox holds: two gateways may share this gateway id; give each its own',
        );
      }
      this.health_.sentEvents += batch.count;
      this.health_.consecutiveFailures = 0;
      this.health_.lastSuccessAt = new Date().toISOString();
      // Additive increase after a 413's halving (AIMD, as TCP does): a size the cloud refused is
      // approached again slowly instead of being retried at once.
      this.batchMaxEvents = Math.min(this.options.batchMaxEvents, this.batchMaxEvents + 1);
      return true;
    } catch (error) {
      if (signal.aborted) return false;
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
          pending: batch.count,
        },
        'replication to the cloud failed; events stay in the outbox',
      );
      this.health_.state = 'backing-off';
      await sleep(delay, signal);
      return false;
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

  /** The events after `afterSeq`, in seq order, ready to send. */
  private prepare(afterSeq: number, maxEvents: number): Promise<PreparedBatch> {
    return this.encode(
      this.options.outbox.pending(maxEvents, this.options.batchMaxBytes, afterSeq),
      afterSeq,
    );
  }

  /** Events as one ingest request body (an IngestRequest), ready to send. */
  private async encode({ seqs, bodies }: PendingBatch, afterSeq: number): Promise<PreparedBatch> {
    // The gateway's own view of its backlog rides along, so the fleet view shows who is behind.
    const { pending, lastSeq, oldestPendingAgeMs } = this.options.outbox.stats();
    const backlog = JSON.stringify({
      pending,
      lastSeq,
      oldestPendingAgeMs: Math.max(0, Math.round(oldestPendingAgeMs)),
    });
    const json = `{"gatewayId":${JSON.stringify(this.options.gatewayId)},"backlog":${backlog},"events":[${bodies.join(',')}]}`;
    const body = await encodeCloudBody(json, this.options.compress && bodies.length > 0);
    return { count: seqs.length, lastSeq: seqs.at(-1) ?? afterSeq, body };
  }

  private async send(batch: PreparedBatch): Promise<IngestReply> {
    const answer = await postToCloud(this.options, '/api/v1/ingest', batch.body, this.stopping.signal);
    if (answer.ok) {
      const reply = JSON.parse(answer.text) as IngestReply;
      if (!Number.isInteger(reply.ackedSeq))
        throw new Error(`cloud reply has no integer ackedSeq: ${answer.text.slice(0, 200)}`);
      return reply;
    }
    if (answer.status === 413 && batch.count > 1) {
      this.batchMaxEvents = Math.max(1, Math.floor(batch.count / 2));
      throw new Error(
        `cloud refused the batch size (${answerDetail(answer)}); retrying with at most ${this.batchMaxEvents} events`,
      );
    }
    throw cloudError(answer, 'cloud ingest');
  }
}
