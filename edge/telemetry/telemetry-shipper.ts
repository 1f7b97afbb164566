import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelayMs } from '../../shared/backoff.js';
import { sleep } from '../../shared/time.js';
import {
  type CloudAnswer,
  type CloudLink,
  cloudError,
  encodeCloudBody,
  postToCloud,
  RateLimited,
  serverMessage,
} from '../replicate/cloud-post.js';
import type { BufferedBatch, TelemetryBuffer } from './telemetry-buffer.js';

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

export type TelemetryShipperState = 'idle' | 'sending' | 'waiting-for-tickets' | 'backing-off' | 'stopped';

export interface TelemetryShipperHealth {
  state: TelemetryShipperState;
  /** Points the cloud accepted since start. */
  shipped: number;
  /** Points the cloud refused as invalid (a 4xx that no retry can change): dropped, since start. */
  rejected: number;
  failedAttempts: number;
  consecutiveFailures: number;
  lastError?: string;
  lastSuccessAt?: string;
}

/** A ticket event waiting is checked for this often, so telemetry resumes soon after the backlog clears. */
const TICKET_POLL_MS = 1000;
const STOP_TIMEOUT_MS = 5000;

/** The cloud refused this batch for what it contains: sending it again cannot succeed. */
class BatchRefused extends Error {}

/**
 * Sends buffered telemetry to `POST /api/v1/telemetry`, oldest first, and deletes points only once
 * the cloud has taken them. Tickets go first: nothing is sent while the outbox holds ticket
 * events, so on a thin link a backlog of summaries never delays an alarm.
 */
export class TelemetryShipper {
  private readonly health_: TelemetryShipperHealth = {
    state: 'idle',
    shipped: 0,
    rejected: 0,
    failedAttempts: 0,
    consecutiveFailures: 0,
  };
  private readonly stopping = new AbortController();
  private wake?: () => void;
  private loop?: Promise<void>;
  private batchMaxPoints: number;
  private lastRefusal?: string;

  constructor(private readonly options: TelemetryShipperOptions) {
    this.batchMaxPoints = options.batchMaxPoints;
  }

  health(): TelemetryShipperHealth {
    return { ...this.health_ };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Look for points now rather than at the next interval. */
  notify(): void {
    this.wake?.();
  }

  /** Aborts a request in flight; returns within a few seconds whatever the link does. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    if (this.loop) await Promise.race([this.loop, sleep(STOP_TIMEOUT_MS)]);
    this.health_.state = 'stopped';
  }

  private async run(): Promise<void> {
    const { buffer, logger } = this.options;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (this.ticketsWaiting()) {
        this.health_.state = 'waiting-for-tickets';
        await this.waitForWork(Math.min(this.options.intervalMs, TICKET_POLL_MS));
        continue;
      }
      let batch: BufferedBatch | undefined;
      try {
        batch = buffer.oldest(this.batchMaxPoints);
        if (batch.ids.length === 0) {
          this.health_.state = 'idle';
          await this.waitForWork(this.options.intervalMs);
          continue;
        }
        this.health_.state = 'sending';
        await this.send(batch);
        buffer.remove(batch.ids);
        this.health_.shipped += batch.ids.length;
        if (this.health_.consecutiveFailures > 0) {
          logger.info(
            { failedAttempts: this.health_.consecutiveFailures },
            'telemetry reaches the cloud again',
          );
        }
        this.health_.consecutiveFailures = 0;
        this.health_.lastSuccessAt = new Date().toISOString();
        this.batchMaxPoints = Math.min(this.options.batchMaxPoints, this.batchMaxPoints + 1);
        // No pause: a backlog drains batch after batch, and an empty buffer waits above.
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof BatchRefused && batch) {
          this.drop(batch, error.message);
          continue;
        }
        this.health_.failedAttempts++;
        const attempt = this.health_.consecutiveFailures++;
        const message = (error as Error).message;
        const backoff = backoffDelayMs(this.options.backoff, attempt);
        const delay = error instanceof RateLimited ? Math.max(backoff, error.retryAfterMs) : backoff;
        // One warning per outage (or per new reason), not one per retry: the replicator is already
        // reporting the same link.
        const log = attempt === 0 || message !== this.health_.lastError ? logger.warn : logger.debug;
        log.call(
          logger,
          {
            err: message,
            attempt: attempt + 1,
            retryInMs: Math.round(delay),
            buffered: buffer.stats().points,
          },
          'sending telemetry to the cloud failed; it stays buffered',
        );
        this.health_.lastError = message;
        this.health_.state = 'backing-off';
        await sleep(delay, signal);
      }
    }
  }

  private ticketsWaiting(): boolean {
    try {
      return this.options.ticketBacklog() > 0;
    } catch {
      return false;
    }
  }

  private async send(batch: BufferedBatch): Promise<void> {
    const json = `{"gatewayId":${JSON.stringify(this.options.gatewayId)},"points":[${batch.bodies.join(',')}]}`;
    const body = await encodeCloudBody(json, this.options.compress);
    const answer = await postToCloud(this.options, '/api/v1/telemetry', body, this.stopping.signal);
    if (answer.ok) return;
    throw this.failure(answer, batch.ids.length);
  }

  private failure(answer: CloudAnswer, points: number): Error {
    const { status } = answer;
    if (status === 413 && points > 1) {
      // Halve, then grow back one point per success (AIMD), as the replicator does for tickets.
      this.batchMaxPoints = Math.max(1, Math.floor(points / 2));
      return new Error(
        `cloud refused a batch of ${points} points as too large; retrying with ${this.batchMaxPoints}`,
      );
    }
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

  private drop(batch: BufferedBatch, reason: string): void {
    const { buffer, logger } = this.options;
    buffer.remove(batch.ids);
    this.health_.rejected += batch.ids.length;
    this.health_.lastError = `cloud refused ${batch.ids.length} telemetry points: ${reason}`;
    // Once per reason: a systematic refusal would otherwise log every batch.
    const log = reason === this.lastRefusal ? logger.debug : logger.error;
    log.call(
      logger,
      { points: batch.ids.length, reason, rejectedSoFar: this.health_.rejected },
      `the cloud refused a telemetry batch (${reason}); it cannot succeed on retry, so its points are dropped`,
    );
    this.lastRefusal = reason;
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
