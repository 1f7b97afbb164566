import { randomUUID } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelayMs } from '../../shared/backoff.js';
import type { TicketChange, TicketChangeType } from '../../shared/schema/index.js';
import { sleep } from '../../shared/time.js';
import type { SqlDatabase } from '../store/sql-database.js';
import type { ChangeFeed } from './ticket-changes.js';

export interface ChangeConsumerOptions {
  /** Unique and stable: the cursor is kept under it, e.g. `routing` or `webhook:3`. */
  name: string;
  db: SqlDatabase;
  feed: ChangeFeed;
  logger: Logger;
  /**
   * Acts on one change. Throwing retries the same change after a backoff: a consumer sees each
   * change at least once and in order, so handlers must be idempotent (dedupe keys, external ids).
   */
  handle(change: TicketChange): Promise<void>;
  /** Only these types reach handle(); the cursor still moves past the others. */
  types?: readonly TicketChangeType[];
  /** A new consumer starts at the end of the log (no flood of history) unless told otherwise. */
  startAt?: 'end' | 'beginning';
  batchSize?: number;
  /** How often to look for changes made by other instances. */
  pollMs?: number;
  retry?: BackoffPolicy;
  /** One instance of several works a consumer at a time; it must renew its lease within this. */
  leaseMs?: number;
}

/** A consumer's health as this instance sees it; status routes serve it with this schema. */
export const ConsumerHealth = Type.Object({
  name: Type.String(),
  cursor: Type.String({ description: 'the last change handled (as saved)' }),
  leader: Type.Boolean({ description: 'whether this instance holds the lease (works the consumer)' }),
  handled: Type.Integer(),
  failures: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  lastError: Type.Optional(Type.String()),
  nextAttemptAt: Type.Optional(Type.String()),
});
export type ConsumerHealth = Static<typeof ConsumerHealth>;

/** Another instance holds the lease now; this one stops working the consumer until it gets it back. */
class LeaseLost extends Error {
  constructor() {
    super('the lease passed to another instance');
  }
}

export interface RunningConsumer {
  health(): ConsumerHealth;
  /** Resolves once every change logged so far is handled (tests, and a clean shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs a consumer of the change log until stopped: woken on new changes, polling for others'. */
export function startChangeConsumer(options: ChangeConsumerOptions): RunningConsumer {
  const owner = randomUUID();
  const { db, feed, logger, name } = options;
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 30_000;
  const coalesceMs = 20;
  const retry = options.retry ?? { initialMs: 500, maxMs: 5 * 60_000 };
  const abort = new AbortController();
  const health: ConsumerHealth = {
    name,
    cursor: '0',
    leader: false,
    handled: 0,
    failures: 0,
    consecutiveFailures: 0,
  };
  let wake: (() => void) | undefined;
  let pending = true;
  const onAppended = () => {
    pending = true;
    wake?.();
  };
  feed.signal.on('appended', onAppended);
  const idleWaiters: (() => void)[] = [];

  let registered = false;
  /** The cursor as last read from or written to the table, and how far this instance has got. */
  let savedCursor: string | undefined;
  let position = '0';
  let lastSaveMs = 0;

  /** Where to go on from: our own progress, unless someone moved the stored cursor (a replay). */
  function resumeFrom(stored: string): string {
    if (stored !== savedCursor) position = savedCursor = stored;
    return position;
  }

  async function claim(): Promise<string | undefined> {
    const nowIso = new Date().toISOString();
    const until = new Date(Date.now() + leaseMs).toISOString();
    if (!registered) {
      const start = options.startAt === 'beginning' ? '0' : await feed.latestCursor();
      await db.run(
        'INSERT INTO change_consumers (name, cursor) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
        [name, Number(start)],
      );
      registered = true;
    }
    // A lease with more than half its time left is not renewed: under ingest load a write per pass
    // and consumer would compete with the gateways' commits for the disk.
    const held = await db.get<{
      cursor: number | string;
      lease_owner: string | null;
      lease_until: string | null;
    }>('SELECT cursor, lease_owner, lease_until FROM change_consumers WHERE name = ?', [name]);
    if (held?.lease_owner === owner && Date.parse(held.lease_until ?? '') - Date.now() > leaseMs / 2) {
      health.leader = true;
      return resumeFrom(String(held.cursor));
    }
    const row = await db.get<{ cursor: number | string }>(
      `UPDATE change_consumers SET lease_owner = ?, lease_until = ?
         WHERE name = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?) RETURNING cursor`,
      [owner, until, name, owner, nowIso],
    );
    health.leader = row !== undefined;
    return row ? resumeFrom(String(row.cursor)) : undefined;
  }

  /** False when another instance took the lease meanwhile (this one was paused too long). */
  async function save(cursor: string): Promise<boolean> {
    const saved = await db.run('UPDATE change_consumers SET cursor = ? WHERE name = ? AND lease_owner = ?', [
      Number(cursor),
      name,
      owner,
    ]);
    if (saved === 0) {
      health.leader = false;
      logger.warn(
        { consumer: name, cursor },
        'ticket change consumer lost its lease to another instance; that one goes on from its saved cursor',
      );
      return false;
    }
    health.cursor = savedCursor = cursor;
    lastSaveMs = Date.now();
    return true;
  }

  /** Handles what is there; returns true when the log was read to its end. */
  async function pass(): Promise<boolean> {
    const cursor = await claim();
    if (cursor === undefined) return true;
    health.cursor = cursor;
    const page = await feed.read({ after: cursor, limit: batchSize });
    // The cursor is saved once a page when something was handled (and before waiting out a
    // failure), else at most once a second: a crash re-hands at most that much, which handlers
    // take as the redeliveries they must tolerate anyway. A write per ingest batch and consumer
    // would compete with the gateways' commits for the disk.
    let handled = 0;
    for (const change of page.changes) {
      if (abort.signal.aborted) break;
      if (!options.types || options.types.includes(change.type)) {
        await handleWithRetry(change, saveProgress);
        handled++;
      }
      position = change.cursor;
    }
    if (handled > 0 || Date.now() - lastSaveMs >= 1000) await saveProgress();
    return page.changes.length < batchSize && !abort.signal.aborted;
  }

  async function saveProgress(): Promise<void> {
    if (position !== savedCursor && !(await save(position))) throw new LeaseLost();
  }

  async function handleWithRetry(change: TicketChange, saveProgress: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt === 1) await saveProgress();
      try {
        await options.handle(change);
        health.handled++;
        health.consecutiveFailures = 0;
        delete health.lastError;
        delete health.nextAttemptAt;
        return;
      } catch (error) {
        health.failures++;
        const delay = backoffDelayMs(retry, health.consecutiveFailures++);
        health.lastError = (error as Error).message;
        health.nextAttemptAt = new Date(Date.now() + delay).toISOString();
        logger.warn(
          { consumer: name, cursor: change.cursor, err: health.lastError, retryInMs: Math.round(delay) },
          'ticket change consumer failed; retrying the same change',
        );
        await sleep(delay, abort.signal);
        if (abort.signal.aborted) throw new Error('stopped', { cause: error });
        // Keep the lease while retrying a long outage of the receiver.
        await claim();
      }
    }
  }

  const loop = (async () => {
    while (!abort.signal.aborted) {
      let drained = false;
      try {
        pending = false;
        drained = await pass();
      } catch (error) {
        if (abort.signal.aborted) break;
        if (error instanceof LeaseLost) {
          drained = true;
        } else {
          logger.error(
            { consumer: name, err: (error as Error).message },
            'ticket change consumer pass failed',
          );
          await sleep(pollMs, abort.signal);
        }
      }
      if (drained && !pending) {
        // Whoever waits for idle (a test, a shutdown) may read the stored cursor next.
        if (idleWaiters.length > 0 && health.leader) await saveProgress().catch(() => undefined);
        for (const resolve of idleWaiters.splice(0)) resolve();
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => done(false), pollMs);
          function done(signalled: boolean) {
            clearTimeout(timer);
            wake = undefined;
            abort.signal.removeEventListener('abort', aborted);
            resolve(signalled);
          }
          const aborted = () => done(false);
          wake = () => done(true);
          abort.signal.addEventListener('abort', aborted, { once: true });
        });
        // A burst of ingest batches is one pass, not one per batch.
        if (woken) await sleep(coalesceMs, abort.signal);
      } else if (!drained) {
        // Catching up on a long backlog (a fleet draining after an outage) must not starve ingest
        // of the CPU: ingest keeps the edge's data safe, consumers only follow it.
        await sleep(coalesceMs, abort.signal);
      }
    }
  })();

  return {
    health: () => ({ ...health }),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        pending = true;
        wake?.();
      }),
    async stop() {
      abort.abort();
      feed.signal.off('appended', onAppended);
      await loop;
      for (const resolve of idleWaiters.splice(0)) resolve();
      if (health.leader) await saveProgress().catch(() => undefined);
      await db
        .run(
          'UPDATE change_consumers SET lease_owner = NULL, lease_until = NULL WHERE name = ? AND lease_owner = ?',
          [name, owner],
        )
        .catch(() => undefined);
    },
  };
}
