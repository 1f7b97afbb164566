import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { openDurableSqlite, statementCache } from '../../shared/sqlite.js';
import type { OutboxEvent, OutboxEventType, Ticket } from '../../shared/schema/index.js';

export interface OutboxStats {
  pending: number;
  lastSeq: number;
  ackedSeq: number;
  /** Age in ms of the oldest unacknowledged event, 0 when none. */
  oldestPendingAgeMs: number;
  /** Unacknowledged seqs with no event (a damaged file): found at open; the cloud will report the gap too. */
  missing: number;
  /** The last commit failed for lack of space, even after making room: tickets are delayed until it passes. */
  full: boolean;
  /** Acknowledged events removed to make room since start (they are safe in the cloud). */
  prunedEvents: number;
  /**
   * Every seq up to it is at the cloud or set aside: ackedSeq, unless set-aside events leave the
   * cloud's watermark behind while the events after them were delivered.
   */
  settledSeq: number;
  /** Events set aside after the cloud refused them for their content: kept here until resent. */
  deadLetters: number;
  /** The most recent of them, with the cloud's reason. */
  lastDeadLetter?: { seq: number; reason: string; at: string };
}

/** An event set aside after the cloud refused it for its content `attempts` times. */
export interface DeadLetter {
  seq: number;
  type: string;
  /** Empty when the stored event cannot be read (a damaged or hand-edited row). */
  ticketId: string;
  assetId: string;
  reason: string;
  attempts: number;
  /** When it was set aside (ISO time). */
  at: string;
}

/** What the outbox made of one more refusal of an event. */
export interface Refusal {
  attempts: number;
  /** This refusal used up the attempts: the event is set aside now. */
  setAside: boolean;
}

/** The disk budget (or the disk) is full of events the cloud has not acknowledged yet. */
export class OutboxFullError extends Error {
  constructor(path: string, pending: number) {
    super(
      `the outbox ${path} is full: all ${pending} events in it wait for the cloud, and none may be dropped. ` +
        'New ticket events are retried until the link drains it or outbox.maxSizeMb is raised (or disk space freed).',
    );
    this.name = 'OutboxFullError';
  }
}

const isDiskFull = (error: unknown): boolean => (error as { code?: string }).code === 'SQLITE_FULL';

export interface PendingBatch {
  seqs: number[];
  /** Each event's JSON as committed: sent as it is, without parsing and serializing it again. */
  bodies: string[];
  bytes: number;
}

/** A database file that exists but cannot be used: tell the operator what to do rather than crash on a query. */
export class OutboxOpenError extends Error {
  constructor(path: string, reason: string) {
    super(
      `cannot open the outbox ${path}: ${reason}. ` +
        (/locked|busy/i.test(reason)
          ? 'Another agent (or program) has it open: stop it, or give this agent its own dataDir.'
          : 'Stop any other agent using this file; if the file is damaged, move it aside (pending events in it are then lost) and restart.'),
    );
    this.name = 'OutboxOpenError';
  }
}

/** An open ticket as the ticket manager keeps it: its problem key, and the faults that explain a generic condition. */
export interface OpenProblemRow {
  key: string;
  ticket: Ticket;
  /** Set on a generic condition's own ticket: the diagnosed faults that would fold it (rule `explainedBy`). */
  explainedBy?: string[];
}

/**
 * Files written by an older agent: their open tickets lack the column that says what explains a
 * generic condition. Their contributors (inside the ticket JSON) are derived when read.
 */
function migrate(db: Database.Database): void {
  const columns = db.pragma('table_info(open_tickets)') as { name: string }[];
  if (!columns.some((c) => c.name === 'explained_by'))
    db.exec('ALTER TABLE open_tickets ADD COLUMN explained_by TEXT');
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    body TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS asset_last_seq (
    asset_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS open_tickets (
    problem_key TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    explained_by TEXT
  ) STRICT;
  CREATE TABLE IF NOT EXISTS cleared_tickets (
    problem_key TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL
  ) STRICT;
  -- Events the cloud refused for their content, with the attempts so far. set_aside_ms set: a dead
  -- letter, not sent until resent. Without it the event is sent as any other, even below the
  -- settled watermark (a resent dead letter); the row goes once the cloud has the event.
  CREATE TABLE IF NOT EXISTS refused_events (
    seq INTEGER PRIMARY KEY,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    set_aside_ms INTEGER
  ) STRICT;
`;

/**
 * The events still to send after a seq: neither set aside nor settled (at the cloud) — unless a
 * resent dead letter, which the cloud has not stored though later seqs are settled.
 */
const UNSENT = `
  NOT EXISTS (SELECT 1 FROM refused_events r WHERE r.seq = e.seq AND r.set_aside_ms IS NOT NULL)
  AND (e.seq > ? OR EXISTS (SELECT 1 FROM refused_events r WHERE r.seq = e.seq))`;

/**
 * The durable queue between ticket decisions and the cloud. An event is committed (WAL,
 * synchronous=FULL) before anything treats its ticket as raised; seq is gap-free because it is
 * assigned inside the same transaction that stores the event.
 */
export class Outbox {
  private readonly db: Database.Database;
  private readonly sql: (text: string) => Database.Statement;
  private readonly missing: number;
  private full = false;
  private prunedEvents = 0;

  /**
   * `maxBytes` caps the file (a disk budget beside other services on the gateway); the disk itself
   * always does. `busyTimeoutMs`: how long to wait for a lock another process holds.
   */
  constructor(
    readonly path: string,
    readonly gatewayId: string,
    maxBytes?: number,
    busyTimeoutMs = 2000,
  ) {
    try {
      this.db = openDurableSqlite(path, busyTimeoutMs);
      // One agent per outbox: the first access takes an exclusive lock, held until close (or until
      // the process dies: the OS drops it), so a second agent on the same dataDir stops at start.
      this.db.pragma('locking_mode = EXCLUSIVE');
      if (maxBytes !== undefined) {
        const pageSize = this.db.pragma('page_size', { simple: true }) as number;
        this.db.pragma(`max_page_count = ${Math.max(16, Math.floor(maxBytes / pageSize))}`);
      }
      const check = this.db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
      this.db.exec(SCHEMA);
      migrate(this.db);
      this.sql = statementCache(this.db);
    } catch (error) {
      throw new OutboxOpenError(path, (error as Error).message);
    }
    this.claimGateway();
    this.missing = this.countMissing();
  }

  /** seq is gap-free by construction; rows missing above the settled seq mean the file was damaged or edited. */
  private countMissing(): number {
    const settledSeq = this.settledSeq();
    const present = this.sql('SELECT count(*) AS n FROM events WHERE seq > ?').get(settledSeq) as {
      n: number;
    };
    return this.metaNumber('lastSeq') - settledSeq - present.n;
  }

  /** One outbox belongs to one gateway: reusing it under another id would corrupt both sequences. */
  private claimGateway(): void {
    const owner = this.meta('gatewayId');
    if (owner === undefined) {
      this.setMeta('gatewayId', this.gatewayId);
    } else if (owner !== this.gatewayId) {
      this.db.close();
      throw new OutboxOpenError(
        this.path,
        `it belongs to gateway '${owner}', not '${this.gatewayId}'; use a separate dataDir per gateway`,
      );
    }
  }

  private meta(key: string): string | undefined {
    const row = this.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  private setMeta(key: string, value: string | number): void {
    this.sql(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, String(value));
  }

  private metaNumber(key: string): number {
    return Number(this.meta(key) ?? 0);
  }

  /**
   * Runs fn in one transaction: ticket state and its events commit together or not at all. When the
   * file is full, acknowledged events (already safe in the cloud) make room, oldest first; events
   * the cloud has not acknowledged are never dropped.
   */
  transaction<T>(fn: () => T): T {
    try {
      const result = this.db.transaction(fn)();
      this.full = false;
      return result;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      if (this.pruneAcknowledged() === 0) {
        this.full = true;
        const { pending, deadLetters } = this.stats();
        throw new OutboxFullError(this.path, pending + deadLetters);
      }
      return this.transaction(fn);
    }
  }

  /**
   * Deletes the older half of the events safe in the cloud (up to the settled seq: past a set-aside
   * event, whose row stays, as do refused ones); returns how many went.
   */
  private pruneAcknowledged(): number {
    const settledSeq = this.settledSeq();
    const oldest = this.sql(
      'SELECT min(seq) AS seq FROM events e WHERE NOT EXISTS (SELECT 1 FROM refused_events r WHERE r.seq = e.seq)',
    ).get() as { seq: number | null };
    if (oldest.seq === null || oldest.seq > settledSeq) return 0;
    const cutoff = oldest.seq + Math.floor((settledSeq - oldest.seq) / 2);
    const { changes } = this.sql(
      'DELETE FROM events WHERE seq <= ? AND seq NOT IN (SELECT seq FROM refused_events)',
    ).run(cutoff);
    this.prunedEvents += changes;
    return changes;
  }

  /** Appends an event; call inside transaction() when ticket state changes with it. */
  append(type: OutboxEventType, ticket: Ticket, at: string): OutboxEvent {
    const seq = this.metaNumber('lastSeq') + 1;
    // Each asset's events form a chain, so the cloud can keep per-asset order when newer events
    // overtake a backlog.
    const previous = this.sql('SELECT seq FROM asset_last_seq WHERE asset_id = ?').get(ticket.assetId) as
      { seq: number } | undefined;
    const event: OutboxEvent = {
      gatewayId: this.gatewayId,
      seq,
      type,
      at,
      prevSeqForAsset: previous?.seq ?? 0,
      ticket,
    };
    this.sql(
      'INSERT INTO asset_last_seq (asset_id, seq) VALUES (?, ?) ON CONFLICT (asset_id) DO UPDATE SET seq = excluded.seq',
    ).run(ticket.assetId, seq);
    this.sql('INSERT INTO events (seq, type, at, created_ms, body) VALUES (?, ?, ?, ?, ?)').run(
      seq,
      type,
      at,
      Date.now(),
      JSON.stringify(event),
    );
    this.setMeta('lastSeq', seq);
    return event;
  }

  /**
   * Events to send in seq order, bounded by count and by serialized size; `afterSeq` reads ahead
   * of the watermark, for the batch after one still in flight. Set-aside events are passed over.
   */
  pending(maxEvents: number, maxBytes: number, afterSeq = this.metaNumber('ackedSeq')): PendingBatch {
    const rows = this.sql(
      `SELECT seq, body FROM events e WHERE seq > ? AND ${UNSENT} ORDER BY seq LIMIT ?`,
    ).all(afterSeq, this.settledSeq(), maxEvents) as { seq: number; body: string }[];
    const batch: PendingBatch = { seqs: [], bodies: [], bytes: 0 };
    for (const row of rows) {
      // Always send at least one event, so a single large event cannot block the queue forever.
      if (batch.bodies.length > 0 && batch.bytes + row.body.length > maxBytes) break;
      batch.seqs.push(row.seq);
      batch.bodies.push(row.body);
      batch.bytes += row.body.length;
    }
    return batch;
  }

  /**
   * The newest unacknowledged events after `afterSeq`, in seq order: what goes first when a backlog
   * waits, so the cloud sees the present before the past.
   */
  newest(maxEvents: number, maxBytes: number, afterSeq: number): PendingBatch {
    const rows = (
      this.sql(`SELECT seq, body FROM events e WHERE seq > ? AND ${UNSENT} ORDER BY seq DESC LIMIT ?`).all(
        Math.max(afterSeq, this.metaNumber('ackedSeq')),
        this.settledSeq(),
        maxEvents,
      ) as { seq: number; body: string }[]
    ).reverse();
    const batch: PendingBatch = { seqs: [], bodies: [], bytes: 0 };
    // Keep the newest within the byte cap: drop from the old end.
    let start = 0;
    let bytes = rows.reduce((sum, row) => sum + row.body.length, 0);
    while (start < rows.length - 1 && bytes > maxBytes) bytes -= rows[start++]!.body.length;
    for (const row of rows.slice(start)) {
      batch.seqs.push(row.seq);
      batch.bodies.push(row.body);
      batch.bytes += row.body.length;
    }
    return batch;
  }

  /**
   * Records the cloud's watermark. It never moves backwards, and never past what exists here:
   * a cloud claiming more than we wrote means another outbox used this gateway id.
   */
  acknowledge(ackedSeq: number): { ackedSeq: number; ahead: boolean } {
    return this.transaction(() => {
      const lastSeq = this.metaNumber('lastSeq');
      const current = this.metaNumber('ackedSeq');
      const next = Math.max(current, Math.min(ackedSeq, lastSeq));
      if (next !== current) this.setMeta('ackedSeq', next);
      return { ackedSeq: next, ahead: ackedSeq > lastSeq };
    });
  }

  /**
   * Records what the cloud holds beyond its watermark: every seq up to `settledSeq` is stored there
   * or set aside here (the cloud's IngestReply.settledSeq), and `storedSeqs` (a batch it took) are
   * stored there. Refusals of stored events are forgotten; set-aside events stay until resent.
   */
  settle(settledSeq: number, storedSeqs: readonly number[]): void {
    this.transaction(() => {
      const lastSeq = this.metaNumber('lastSeq');
      const next = Math.min(settledSeq, lastSeq);
      if (next > this.settledSeq()) this.setMeta('settledSeq', next);
      const forget = this.sql('DELETE FROM refused_events WHERE seq = ? AND set_aside_ms IS NULL');
      for (const seq of storedSeqs) forget.run(seq);
      this.sql('DELETE FROM refused_events WHERE seq <= ?').run(this.metaNumber('ackedSeq'));
    });
  }

  /** Every seq up to it is at the cloud or set aside; never below the cloud's watermark. */
  private settledSeq(): number {
    return Math.max(this.metaNumber('settledSeq'), this.metaNumber('ackedSeq'));
  }

  /**
   * Where a seq-order read starts: after the settled watermark, or before the first resent (or
   * refused) event below it.
   */
  sendFrom(): number {
    const settled = this.settledSeq();
    const refused = this.sql(
      'SELECT min(seq) AS seq FROM refused_events WHERE set_aside_ms IS NULL AND seq <= ?',
    ).get(settled) as { seq: number | null };
    return refused.seq === null ? settled : Math.max(this.metaNumber('ackedSeq'), refused.seq - 1);
  }

  /**
   * Counts one more refusal of an event for its content; the one that reaches `maxAttempts` sets
   * it aside. Undefined when no such event is waiting (acknowledged meanwhile, or never written).
   */
  recordRefusal(seq: number, reason: string, maxAttempts: number): Refusal | undefined {
    return this.transaction(() => {
      if (seq <= this.metaNumber('ackedSeq') || !this.sql('SELECT 1 FROM events WHERE seq = ?').get(seq)) {
        return undefined;
      }
      const row = this.sql(
        `INSERT INTO refused_events (seq, attempts, reason) VALUES (?, 1, ?)
           ON CONFLICT (seq) DO UPDATE SET attempts = attempts + 1, reason = excluded.reason
           RETURNING attempts, set_aside_ms`,
      ).get(seq, reason) as { attempts: number; set_aside_ms: number | null };
      const setAside = row.set_aside_ms === null && row.attempts >= maxAttempts;
      if (setAside) this.sql('UPDATE refused_events SET set_aside_ms = ? WHERE seq = ?').run(Date.now(), seq);
      return { attempts: row.attempts, setAside };
    });
  }

  /** The set-aside events, oldest seq first (at most `limit`, the newest when more). */
  deadLetters(limit = Number.MAX_SAFE_INTEGER): DeadLetter[] {
    const rows = this.sql(
      `SELECT * FROM (
         SELECT r.seq, r.attempts, r.reason, r.set_aside_ms, e.type, e.body FROM refused_events r
           LEFT JOIN events e ON e.seq = r.seq
           WHERE r.set_aside_ms IS NOT NULL ORDER BY r.seq DESC LIMIT ?
       ) ORDER BY seq`,
    ).all(limit) as {
      seq: number;
      attempts: number;
      reason: string;
      set_aside_ms: number;
      type: string | null;
      body: string | null;
    }[];
    return rows.map((row) => {
      const { ticketId, assetId } = ticketOf(row.body);
      return {
        seq: row.seq,
        type: row.type ?? '',
        ticketId,
        assetId,
        reason: row.reason,
        attempts: row.attempts,
        at: new Date(row.set_aside_ms).toISOString(),
      };
    });
  }

  /**
   * Puts set-aside events back in the queue (after the cause is fixed), with a fresh count of
   * attempts; `'all'` for every one. Returns the seqs requeued; a seq not set aside is left out.
   */
  resend(seqs: readonly number[] | 'all'): number[] {
    return this.transaction(() => {
      const requeued =
        seqs === 'all'
          ? (this.sql('SELECT seq FROM refused_events WHERE set_aside_ms IS NOT NULL ORDER BY seq').all() as {
              seq: number;
            }[])
          : seqs
              .filter((seq) =>
                this.sql('SELECT 1 FROM refused_events WHERE seq = ? AND set_aside_ms IS NOT NULL').get(seq),
              )
              .map((seq) => ({ seq }));
      const requeue = this.sql('UPDATE refused_events SET set_aside_ms = NULL, attempts = 0 WHERE seq = ?');
      for (const { seq } of requeued) requeue.run(seq);
      return requeued.map(({ seq }) => seq);
    });
  }

  /**
   * Renumbers the pending events to follow the cloud's watermark. For an outbox that restarted its
   * sequence (new disk, reinstall) under a gateway id the cloud already knows: the cloud took its
   * events for replays of old ones and ignored them, so they must be sent again under new numbers.
   */
  rebase(cloudAckedSeq: number): { renumbered: number; offset: number } {
    return this.transaction(() => {
      const ackedSeq = this.metaNumber('ackedSeq');
      const lastSeq = this.metaNumber('lastSeq');
      const offset = cloudAckedSeq - ackedSeq;
      if (offset <= 0) return { renumbered: 0, offset: 0 };
      const rows = this.sql('SELECT seq, body FROM events WHERE seq > ? ORDER BY seq DESC').all(ackedSeq) as {
        seq: number;
        body: string;
      }[];
      // Highest first, so no renumbered row collides with one not yet moved.
      for (const row of rows) {
        const event = JSON.parse(row.body) as OutboxEvent;
        // A predecessor among the renumbered events moves with them; one already acknowledged
        // under the old numbers means nothing to the cloud any more.
        const prev = event.prevSeqForAsset;
        const prevSeqForAsset =
          prev === undefined ? {} : { prevSeqForAsset: prev > ackedSeq ? prev + offset : 0 };
        this.sql('UPDATE events SET seq = ?, body = ? WHERE seq = ?').run(
          row.seq + offset,
          JSON.stringify({ ...event, seq: row.seq + offset, ...prevSeqForAsset }),
          row.seq,
        );
      }
      this.sql('UPDATE asset_last_seq SET seq = seq + ? WHERE seq > ?').run(offset, ackedSeq);
      // Through negative numbers, so no moved row collides with one not yet moved.
      this.sql('UPDATE refused_events SET seq = -(seq + ?) WHERE seq > ?').run(offset, ackedSeq);
      this.sql('UPDATE refused_events SET seq = -seq WHERE seq < 0').run();
      this.setMeta('lastSeq', lastSeq + offset);
      this.setMeta('ackedSeq', cloudAckedSeq);
      this.setMeta('settledSeq', cloudAckedSeq);
      return { renumbered: rows.length, offset };
    });
  }

  stats(now = Date.now()): OutboxStats {
    const ackedSeq = this.metaNumber('ackedSeq');
    const lastSeq = this.metaNumber('lastSeq');
    const settledSeq = this.settledSeq();
    const oldest = this.sql(
      `SELECT created_ms FROM events e WHERE seq > ? AND ${UNSENT} ORDER BY seq LIMIT 1`,
    ).get(this.sendFrom(), settledSeq) as { created_ms: number } | undefined;
    const refused = this.sql(
      `SELECT count(*) FILTER (WHERE set_aside_ms IS NOT NULL) AS dead,
         count(*) FILTER (WHERE set_aside_ms IS NOT NULL AND seq > ?) AS dead_unsettled,
         count(*) FILTER (WHERE set_aside_ms IS NULL AND seq > ? AND seq <= ?) AS resent
       FROM refused_events`,
    ).get(settledSeq, ackedSeq, settledSeq) as { dead: number; dead_unsettled: number; resent: number };
    const latest = this.sql(
      'SELECT seq, reason, set_aside_ms FROM refused_events WHERE set_aside_ms IS NOT NULL ORDER BY set_aside_ms DESC, seq DESC LIMIT 1',
    ).get() as { seq: number; reason: string; set_aside_ms: number } | undefined;
    return {
      pending: lastSeq - settledSeq - refused.dead_unsettled + refused.resent,
      lastSeq,
      ackedSeq,
      oldestPendingAgeMs: oldest ? now - oldest.created_ms : 0,
      missing: this.missing,
      full: this.full,
      prunedEvents: this.prunedEvents,
      settledSeq,
      deadLetters: refused.dead,
      ...(latest
        ? {
            lastDeadLetter: {
              seq: latest.seq,
              reason: latest.reason,
              at: new Date(latest.set_aside_ms).toISOString(),
            },
          }
        : {}),
    };
  }

  /** The open ticket for a problem (see ticket-manager's problemKey), if any. */
  openTicket(problemKey: string): Ticket | undefined {
    const row = this.sql('SELECT ticket FROM open_tickets WHERE problem_key = ?').get(problemKey) as
      { ticket: string } | undefined;
    return row ? (JSON.parse(row.ticket) as Ticket) : undefined;
  }

  openTickets(): Ticket[] {
    return (this.sql('SELECT ticket FROM open_tickets').all() as { ticket: string }[]).map(
      (r) => JSON.parse(r.ticket) as Ticket,
    );
  }

  /** Every open ticket with its problem key and what explains it: the ticket manager's state at start. */
  openProblems(): OpenProblemRow[] {
    const rows = this.sql(
      'SELECT problem_key, ticket, explained_by FROM open_tickets ORDER BY problem_key',
    ).all() as {
      problem_key: string;
      ticket: string;
      explained_by: string | null;
    }[];
    return rows.map((r) => ({
      key: r.problem_key,
      ticket: JSON.parse(r.ticket) as Ticket,
      ...(r.explained_by ? { explainedBy: JSON.parse(r.explained_by) as string[] } : {}),
    }));
  }

  saveOpenTicket(problemKey: string, ticket: Ticket, explainedBy?: readonly string[]): void {
    this.sql(
      `INSERT INTO open_tickets (problem_key, ticket, explained_by) VALUES (?, ?, ?)
         ON CONFLICT (problem_key) DO UPDATE SET ticket = excluded.ticket, explained_by = excluded.explained_by`,
    ).run(problemKey, JSON.stringify(ticket), explainedBy?.length ? JSON.stringify(explainedBy) : null);
  }

  /** The problem is over; its ticket id is kept so a recurrence can link to it. */
  clearOpenTicket(problemKey: string, ticketId: string): void {
    this.sql('DELETE FROM open_tickets WHERE problem_key = ?').run(problemKey);
    this.sql(
      'INSERT INTO cleared_tickets (problem_key, ticket_id) VALUES (?, ?) ON CONFLICT (problem_key) DO UPDATE SET ticket_id = excluded.ticket_id',
    ).run(problemKey, ticketId);
  }

  /** The last ticket raised for a problem that has since cleared. */
  clearedTicketId(problemKey: string): string | undefined {
    const row = this.sql('SELECT ticket_id FROM cleared_tickets WHERE problem_key = ?').get(problemKey) as
      { ticket_id: string } | undefined;
    return row?.ticket_id;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The ticket an event's stored body names; empty strings when the body cannot be read. */
function ticketOf(body: string | null): { ticketId: string; assetId: string } {
  try {
    const { ticket } = JSON.parse(body ?? '') as { ticket?: { id?: unknown; assetId?: unknown } };
    return {
      ticketId: typeof ticket?.id === 'string' ? ticket.id : '',
      assetId: typeof ticket?.assetId === 'string' ? ticket.assetId : '',
    };
  } catch {
    return { ticketId: '', assetId: '' };
  }
}

/** Events missing below the last seq mean a damaged or edited file: said once at start, as the cloud will see a gap. */
export function reportMissingEvents(outbox: Outbox, logger: Logger): void {
  const { missing, ackedSeq, lastSeq } = outbox.stats();
  if (missing > 0) {
    logger.error(
      { missing, ackedSeq, lastSeq },
      `the outbox lacks ${missing} of its unacknowledged events (between seq ${ackedSeq + 1} and ${lastSeq}): the file was damaged or edited; the cloud will report the gap`,
    );
  }
}
