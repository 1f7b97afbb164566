import type { Logger } from 'pino';
import type { BackoffPolicy } from '../../shared/backoff.js';
import type { IngestReply } from '../../shared/schema/index.js';
import type { EdgeConfig } from '../config.js';
import type { Outbox, PendingBatch } from '../outbox/outbox.js';
import {
  answerDetail,
  type CloudAnswer,
  type CloudLink,
  cloudError,
  cloudLinkOf,
  encodeCloudBody,
} from '../uplink/cloud-post.js';
import {
  type UplinkBatch,
  type UplinkFailure,
  type UplinkHealth,
  UplinkLoop,
  type UplinkPolicy,
  type UplinkState,
  type UplinkStep,
  type UplinkView,
} from '../uplink/uplink-loop.js';

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

interface PreparedBatch extends UplinkBatch {
  lastSeq: number;
  body: string | Buffer;
}

interface OutboxBatch extends PreparedBatch {
  /** The newest events, sent ahead of a backlog. */
  ahead: boolean;
  /** Sent in seq order while a backlog waits: paced by backlogEventsPerSecond. */
  paced: boolean;
}

const CIRCUIT_OPEN_AFTER_FAILURES = 3;
/** With nothing pending, the outbox is looked at this often even without a notify(). */
const IDLE_POLL_MS = 30_000;

export type ReplicatorState = UplinkState<'probing'>;

export interface ReplicatorHealth extends UplinkHealth<'probing'> {
  sentEvents: number;
  /** Events sent ahead of a backlog, newest first, so the cloud sees the present before the past. */
  sentAheadOfBacklog: number;
}

/**
 * Sends outbox events to cloud ingest in seq order. Events are marked acknowledged only from the
 * cloud's reply (its watermark), never on send, so a crash or a lost reply causes a resend, which
 * the cloud ignores; it never causes a loss. The waiting, backoff and batch sizing are the uplink
 * loop's (edge/uplink/); what is read and what an answer acknowledges is OutboxUplink's, below.
 */
export class Replicator extends UplinkLoop<OutboxBatch, 'probing'> {
  private readonly outboxSide: OutboxUplink;

  constructor(options: ReplicatorOptions) {
    const outboxSide = new OutboxUplink(options);
    super({ ...options, batchMaxItems: options.batchMaxEvents }, outboxSide);
    this.outboxSide = outboxSide;
  }

  override health(): ReplicatorHealth {
    const { state, ...link } = super.health();
    const { sentEvents, sentAheadOfBacklog } = this.outboxSide;
    return { state, sentEvents, sentAheadOfBacklog, ...link };
  }
}

/** The replicator of an agent, as the edge config's `cloud` section sets it up. */
export function replicatorFor(
  config: Pick<EdgeConfig, 'gatewayId' | 'cloud'>,
  outbox: Outbox,
  logger: Logger,
): Replicator {
  const { cloud } = config;
  return new Replicator({
    ...cloudLinkOf(cloud),
    outbox,
    gatewayId: config.gatewayId,
    batchMaxEvents: cloud.batchMaxEvents,
    batchMaxBytes: cloud.batchMaxBytes,
    ...(cloud.backlogEventsPerSecond ? { backlogEventsPerSecond: cloud.backlogEventsPerSecond } : {}),
    logger,
  });
}

/** The outbox side of replication: which events go next, and what the cloud's watermark acknowledges. */
class OutboxUplink implements UplinkPolicy<OutboxBatch, 'probing'> {
  readonly path = '/api/v1/ingest';
  sentEvents = 0;
  sentAheadOfBacklog = 0;
  /** The next batch in seq order, read and compressed while the previous one is on the wire. */
  private readAhead?: { afterSeq: number; batch: Promise<PreparedBatch> };
  /** The highest seq sent ahead of the backlog: each newest event goes ahead once. */
  private sentAheadUpTo = 0;
  /** When the backlog may send its next batch, under backlogEventsPerSecond. */
  private backlogNextAt = 0;

  constructor(private readonly options: ReplicatorOptions) {}

  async next({ batchLimit, consecutiveFailures }: UplinkView): Promise<UplinkStep<OutboxBatch, 'probing'>> {
    const { outbox } = this.options;
    // After a few failures in a row the link is presumed dead: probe it with one event rather than
    // pushing full batches (megabytes on a metered link) into it on every retry.
    const probing = consecutiveFailures >= CIRCUIT_OPEN_AFTER_FAILURES;
    const { ackedSeq, pending } = outbox.stats();
    // More than a batch waits: events beyond the next backlog batch that have not gone ahead yet
    // are sent first, newest first. The cloud applies them at once unless their asset still has
    // older events in the backlog, so a fresh fault is seen while last week drains.
    const backlogged = pending > batchLimit && !probing;
    if (backlogged) {
      const newest = outbox.newest(
        batchLimit,
        this.options.batchMaxBytes,
        Math.max(this.sentAheadUpTo, ackedSeq + batchLimit),
      );
      if (newest.seqs.length > 0) {
        const batch = await this.encode(newest, ackedSeq);
        return { send: { ...batch, ahead: true, paced: false }, state: 'sending' };
      }
      // A new event ends the wait early: it goes ahead of the backlog.
      const wait = this.backlogNextAt - Date.now();
      if (wait > 0) return { waitMs: wait };
    }
    const ahead =
      this.readAhead?.afterSeq === ackedSeq && !probing
        ? await this.readAhead.batch.catch(() => undefined)
        : undefined;
    this.readAhead = undefined;
    const batch = ahead && ahead.count > 0 ? ahead : await this.prepare(ackedSeq, probing ? 1 : batchLimit);
    if (batch.count === 0) return { waitMs: IDLE_POLL_MS, state: 'idle' };
    // While this batch is on the wire, the next one is read and compressed: a backlog drains at
    // the cloud's pace rather than at the sum of both sides'.
    if (!probing) {
      const next = this.prepare(batch.lastSeq, batchLimit);
      next.catch(() => {}); // a read-ahead that fails is read again, never left unhandled
      this.readAhead = { afterSeq: batch.lastSeq, batch: next };
    }
    return { send: { ...batch, ahead: false, paced: backlogged }, state: probing ? 'probing' : 'sending' };
  }

  /** Encoded already when read, so the next batch is compressed while this one is on the wire. */
  body(batch: OutboxBatch): Promise<string | Buffer> {
    return Promise.resolve(batch.body);
  }

  delivered(answer: CloudAnswer, batch: OutboxBatch): boolean {
    const reply = JSON.parse(answer.text) as IngestReply;
    if (!Number.isInteger(reply.ackedSeq))
      throw new Error(`cloud reply has no integer ackedSeq: ${answer.text.slice(0, 200)}`);
    const delivered = this.acknowledge(reply, batch);
    if (batch.ahead) {
      this.sentAheadUpTo = batch.lastSeq;
      this.sentAheadOfBacklog += batch.count;
    }
    const rate = this.options.backlogEventsPerSecond;
    if (batch.paced && rate) this.backlogNextAt = Date.now() + (batch.count / rate) * 1000;
    return delivered;
  }

  /**
   * Records the cloud's watermark. Returns false when the cloud already held these seqs from an
   * earlier outbox: they are renumbered and go again, and nothing counts as delivered.
   */
  private acknowledge(reply: IngestReply, batch: OutboxBatch): boolean {
    const { outbox, logger } = this.options;
    const { lastSeq } = outbox.stats();
    if (reply.ackedSeq > lastSeq && reply.duplicates === batch.count) {
      const { renumbered, offset } = outbox.rebase(reply.ackedSeq);
      this.sentAheadUpTo = 0;
      logger.warn(
        { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq, renumbered, offset },
        'the cloud already holds events up to a higher seq for this gateway (outbox recreated?); ' +
          'pending events renumbered after it and sent again',
      );
      return false;
    }
    const result = outbox.acknowledge(reply.ackedSeq);
    if (result.ahead) {
      logger.error(
        { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq },
        'cloud acknowledges more events than this outbox holds: two gateways may share this gateway id; give each its own',
      );
    }
    this.sentEvents += batch.count;
    return true;
  }

  refusal(answer: CloudAnswer): Error {
    return cloudError(answer, 'cloud ingest');
  }

  tooLarge(answer: CloudAnswer, _batch: OutboxBatch, limit: number): string {
    return `cloud refused the batch size (${answerDetail(answer)}); retrying with at most ${limit} events`;
  }

  failed({ message, attempt, retryInMs, batch }: UplinkFailure<OutboxBatch>): void {
    this.options.logger.warn(
      { err: message, attempt, retryInMs, pending: batch?.count },
      'replication to the cloud failed; events stay in the outbox',
    );
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
}
