import type { Logger } from 'pino';
import type { BackoffPolicy } from '../../shared/backoff.js';
import {
  type CloudAnswer,
  type CloudLink,
  cloudError,
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
import type { TelemetryBuffer } from './telemetry-buffer.js';

export interface TelemetryShipperOptions extends CloudLink {
  buffer: TelemetryBuffer;
  gatewayId: string;
  /** How often buffered points are looked for when there is nothing to send. */
  intervalMs: number;
  batchMaxPoints: number;
  backoff: BackoffPolicy;
  /** Ticket events the outbox still holds: while there are any, telemetry waits (tickets go first). */
  ticketBacklog: () => number;
  logger: Logger;
}

export type TelemetryShipperState = UplinkState<'waiting-for-tickets'>;

export interface TelemetryShipperHealth extends UplinkHealth<'waiting-for-tickets'> {
  /** Points the cloud accepted since start. */
  shipped: number;
  /** Points the cloud refused as invalid (a 4xx that no retry can change): dropped, since start. */
  rejected: number;
}

interface PointBatch extends UplinkBatch {
  ids: number[];
  bodies: string[];
}

/** A ticket event waiting is checked for this often, so telemetry resumes soon after the backlog clears. */
const TICKET_POLL_MS = 1000;
const STOP_TIMEOUT_MS = 5000;

/**
 * Sends buffered telemetry to `POST /api/v1/telemetry`, oldest first, and deletes points only once
 * the cloud has taken them. Tickets go first: nothing is sent while the outbox holds ticket
 * events, so on a thin link a backlog of summaries never delays an alarm. The waiting, backoff and
 * batch sizing are the uplink loop's (edge/uplink/); what is read, kept and dropped is BufferUplink's.
 */
export class TelemetryShipper extends UplinkLoop<PointBatch, 'waiting-for-tickets'> {
  private readonly bufferSide: BufferUplink;

  constructor(options: TelemetryShipperOptions) {
    const bufferSide = new BufferUplink(options);
    // stop() aborts a request in flight and returns within a few seconds, whatever the link does.
    super({ ...options, batchMaxItems: options.batchMaxPoints, stopTimeoutMs: STOP_TIMEOUT_MS }, bufferSide);
    this.bufferSide = bufferSide;
  }

  override health(): TelemetryShipperHealth {
    const { state, ...link } = super.health();
    const { shipped, rejected } = this.bufferSide;
    return { state, shipped, rejected, ...link };
  }
}

/** The buffer side of telemetry: the oldest points go, and only what the cloud took is deleted. */
class BufferUplink implements UplinkPolicy<PointBatch, 'waiting-for-tickets'> {
  readonly path = '/api/v1/telemetry';
  shipped = 0;
  rejected = 0;
  private lastRefusal?: string;

  constructor(private readonly options: TelemetryShipperOptions) {}

  next({ batchLimit }: UplinkView): UplinkStep<PointBatch, 'waiting-for-tickets'> {
    const { buffer, intervalMs } = this.options;
    if (this.ticketsWaiting())
      return { waitMs: Math.min(intervalMs, TICKET_POLL_MS), state: 'waiting-for-tickets' };
    try {
      const { ids, bodies } = buffer.oldest(batchLimit);
      // No pause after a success: a backlog drains batch after batch, and an empty buffer waits here.
      if (ids.length === 0) return { waitMs: intervalMs, state: 'idle' };
      return { send: { count: ids.length, ids, bodies }, state: 'sending' };
    } catch (error) {
      // A buffer that cannot be read is retried like a link that is down.
      return { failed: error };
    }
  }

  body({ bodies }: PointBatch): Promise<string | Buffer> {
    const json = `{"gatewayId":${JSON.stringify(this.options.gatewayId)},"points":[${bodies.join(',')}]}`;
    return encodeCloudBody(json, this.options.compress);
  }

  delivered(_answer: CloudAnswer, batch: PointBatch): boolean {
    this.options.buffer.remove(batch.ids);
    this.shipped += batch.ids.length;
    return true;
  }

  recovered(failures: number): void {
    this.options.logger.info({ failedAttempts: failures }, 'telemetry reaches the cloud again');
  }

  tooLarge(_answer: CloudAnswer, batch: PointBatch, limit: number): string {
    // Halved, then grown back one point per success (AIMD), as the replicator does for tickets.
    return `cloud refused a batch of ${batch.count} points as too large; retrying with ${limit}`;
  }

  refusal(answer: CloudAnswer): Error {
    const { status } = answer;
    if (status === 404) {
      return new Error(
        `the cloud at ${this.options.cloudUrl} has no telemetry endpoint (404): it is older than this agent. ` +
          'Telemetry stays buffered (within telemetry.maxSizeMb) until the cloud is upgraded; set telemetry.enabled: false to stop collecting it',
      );
    }
    // Credentials can be fixed and a timeout or rate limit passes; any other 4xx is about the batch itself.
    if (status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status)) {
      return new BatchRefused(`${status} ${serverMessage(answer)}`);
    }
    return cloudError(answer, 'cloud telemetry');
  }

  drop(batch: PointBatch, reason: string): string {
    const { buffer, logger } = this.options;
    buffer.remove(batch.ids);
    this.rejected += batch.ids.length;
    // Once per reason: a systematic refusal would otherwise log every batch.
    const log = reason === this.lastRefusal ? logger.debug : logger.error;
    log.call(
      logger,
      { points: batch.ids.length, reason, rejectedSoFar: this.rejected },
      `the cloud refused a telemetry batch (${reason}); it cannot succeed on retry, so its points are dropped`,
    );
    this.lastRefusal = reason;
    return `cloud refused ${batch.ids.length} telemetry points: ${reason}`;
  }

  failed({ message, attempt, retryInMs, repeated }: UplinkFailure<PointBatch>): void {
    const { buffer, logger } = this.options;
    // One warning per outage (or per new reason), not one per retry: the replicator is already
    // reporting the same link.
    const log = repeated ? logger.debug : logger.warn;
    log.call(
      logger,
      { err: message, attempt, retryInMs, buffered: buffer.stats().points },
      'sending telemetry to the cloud failed; it stays buffered',
    );
  }

  private ticketsWaiting(): boolean {
    try {
      return this.options.ticketBacklog() > 0;
    } catch {
      return false;
    }
  }
}
