import type { Logger } from 'pino';
import type { BackoffPolicy } from '../../shared/backoff.js';
import { type IngestReply, MAX_SET_ASIDE_PER_BATCH, type SetAsideEvent } from '../../shared/schema/index.js';
import type { EdgeConfig } from '../config.js';
import type { Outbox, PendingBatch } from '../outbox/outbox.js';
import {
  answerDetail,
  type CloudAnswer,
  type CloudLink,
  cloudError,
  cloudLinkOf,
  encodeCloudBody,
  serverMessage,
} from '../uplink/cloud-post.js';
import {
  BatchRefused,
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
  /**
   * Attempts before an event the cloud refuses for its content (a 400 naming it, a 413 for it
   * alone) is set aside, so the events behind it flow on. Default DEFAULT_MAX_ATTEMPTS.
   */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

interface PreparedBatch extends UplinkBatch {
  seqs: number[];
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
  /** Events set aside since start, after the cloud refused them for their content maxAttempts times. */
  setAsideEvents: number;
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
    const { sentEvents, sentAheadOfBacklog, setAsideEvents } = this.outboxSide;
    return { state, sentEvents, sentAheadOfBacklog, setAsideEvents, ...link };
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
    maxAttempts: cloud.maxAttempts,
    logger,
  });
}

/** The outbox side of replication: which events go next, and what the cloud's watermark acknowledges. */
class OutboxUplink implements UplinkPolicy<OutboxBatch, 'probing'> {
  readonly path = '/api/v1/ingest';
  sentEvents = 0;
  sentAheadOfBacklog = 0;
  setAsideEvents = 0;
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
    const { pending } = outbox.stats();
    // Where the seq-order pass starts: the cloud's watermark, or past events it holds beyond a
    // set-aside one (never sent again).
    const from = outbox.sendFrom();
    // More than a batch waits: events beyond the next backlog batch that have not gone ahead yet
    // are sent first, newest first. The cloud applies them at once unless their asset still has
    // older events in the backlog, so a fresh fault is seen while last week drains.
    const backlogged = pending > batchLimit && !probing;
    if (backlogged) {
      const newest = outbox.newest(
        batchLimit,
        this.options.batchMaxBytes,
        Math.max(this.sentAheadUpTo, from + batchLimit),
      );
      if (newest.seqs.length > 0) {
        const batch = await this.encode(newest, from);
        return { send: { ...batch, ahead: true, paced: false }, state: 'sending' };
      }
      // A new event ends the wait early: it goes ahead of the backlog.
      const wait = this.backlogNextAt - Date.now();
      if (wait > 0) return { waitMs: wait };
    }
    const ahead =
      this.readAhead?.afterSeq === from && !probing
        ? await this.readAhead.batch.catch(() => undefined)
        : undefined;
    this.readAhead = undefined;
    const batch = ahead && ahead.count > 0 ? ahead : await this.prepare(from, probing ? 1 : batchLimit);
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
    // A 2xx means the cloud stored every event of the batch; settledSeq (newer clouds) also covers
    // the events it holds beyond a set-aside one, so they are not sent again.
    outbox.settle(reply.settledSeq ?? reply.ackedSeq, batch.seqs);
    if (result.ahead) {
      logger.error(
        { cloudAckedSeq: reply.ackedSeq, localLastSeq: lastSeq },
        'cloud acknowledges more events than this outbox holds: two gateways may share this gateway id; give each its own',
      );
    }
    this.sentEvents += batch.count;
    return true;
  }

  /**
   * A refusal that blames events for their content counts an attempt against each; the one that
   * uses up the attempts sets its event aside (BatchRefused: the next batch goes at once, without
   * it). Any other refusal (credentials, rate, the cloud's own trouble) means wait, never poison.
   */
  refusal(answer: CloudAnswer, batch: OutboxBatch): Error {
    const blamed = blamedSeqs(answer, batch);
    if (blamed.length === 0) return cloudError(answer, 'cloud ingest');
    const { outbox, logger } = this.options;
    const maxAttempts = this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const reason = `${answer.status} ${serverMessage(answer)}`.slice(0, 1000);
    const outcomes = blamed.map((seq) => ({ seq, refusal: outbox.recordRefusal(seq, reason, maxAttempts) }));
    const setAside = outcomes.filter((o) => o.refusal?.setAside).map((o) => o.seq);
    if (setAside.length > 0) {
      this.setAsideEvents += setAside.length;
      for (const letter of outbox.deadLetters().filter((d) => setAside.includes(d.seq))) {
        logger.error(
          {
            seq: letter.seq,
            type: letter.type,
            ticketId: letter.ticketId,
            attempts: letter.attempts,
            reason,
          },
          `outbox event seq ${letter.seq} set aside after the cloud refused it ${letter.attempts} times: ${reason}. ` +
            'The events behind it go on; it stays in the outbox. Once the cause is fixed, ' +
            `requeue it with \`plantwatch outbox resend ${letter.seq} --config <agent config>\``,
        );
      }
      return new BatchRefused(`events set aside (seq ${setAside.join(', ')}): ${reason}`);
    }
    const attempts = outcomes.map((o) => `seq ${o.seq} attempt ${o.refusal?.attempts ?? '?'}/${maxAttempts}`);
    return new Error(`cloud refused events for their content (${attempts.join(', ')}): ${reason}`);
  }

  /** The events are set aside already (refusal()): report what happened, and go on. */
  drop(_batch: OutboxBatch, reason: string): string {
    return reason;
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
    const { pending, lastSeq, oldestPendingAgeMs, deadLetters } = this.options.outbox.stats();
    const backlog = JSON.stringify({
      pending,
      lastSeq,
      oldestPendingAgeMs: Math.max(0, Math.round(oldestPendingAgeMs)),
    });
    // So do the set-aside events (only when there are some: a cloud before them refuses the field).
    const setAside = deadLetters > 0 ? `,"setAside":${JSON.stringify(this.setAsideReport())}` : '';
    const json = `{"gatewayId":${JSON.stringify(this.options.gatewayId)},"backlog":${backlog}${setAside},"events":[${bodies.join(',')}]}`;
    const body = await encodeCloudBody(json, this.options.compress && bodies.length > 0);
    return { count: seqs.length, seqs, lastSeq: seqs.at(-1) ?? afterSeq, body };
  }

  /** The set-aside events as the cloud is told of them: within the contract's limits, whatever they hold. */
  private setAsideReport(): SetAsideEvent[] {
    return this.options.outbox.deadLetters(MAX_SET_ASIDE_PER_BATCH).map((letter) => ({
      seq: letter.seq,
      type: letter.type.slice(0, 64),
      ticketId: letter.ticketId.slice(0, 200),
      reason: letter.reason.slice(0, 1000),
      attempts: Math.max(1, letter.attempts),
      at: letter.at,
    }));
  }
}

/**
 * The events a refusal blames for their content: those a 400 names (`body/events/<i>/…`, as the
 * cloud's validation reports them), or the only event of a batch refused as too large.
 */
export function blamedSeqs(answer: CloudAnswer, batch: { seqs: readonly number[] }): number[] {
  if (answer.status === 413) return batch.seqs.length === 1 ? [...batch.seqs] : [];
  if (answer.status !== 400) return [];
  const indexes = new Set(
    [...serverMessage(answer).matchAll(/body\/events\/(\d+)(?![\d])/g)].map((m) => Number(m[1])),
  );
  return [...indexes].flatMap((i) => (batch.seqs[i] === undefined ? [] : [batch.seqs[i]]));
}
