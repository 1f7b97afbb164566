import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { statementCache } from '../../shared/sqlite.js';
import type { TelemetryPoint } from '../../shared/schema/telemetry.js';

export const DEFAULT_TELEMETRY_BUDGET_BYTES = 256 * 1024 * 1024;

export interface TelemetryBufferStats {
  /** Points waiting for the cloud. */
  points: number;
  /** Bytes of the file in use (free pages inside it are reused, so it does not grow past the budget). */
  bytes: number;
  maxBytes: number;
  /** Points removed by thinning old ones to every 4th, to stay in budget (since start). */
  downsampled: number;
  /** Oldest points removed when thinning was not enough (since start). */
  evicted: number;
  /** Points not stored because the disk (or the file) was full or failed (since start). */
  dropped: number;
  /** The last write failed for lack of disk space; cleared by the next write that succeeds. */
  full: boolean;
  lastError?: string;
}

export interface BufferedBatch {
  ids: number[];
  /** Each point's JSON as stored: sent as it is. */
  bodies: string[];
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY,
    asset_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts INTEGER NOT NULL,
    thinned INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
  ) STRICT;
`;

/** Per stored point beyond its JSON: rowid, ids, timestamp and b-tree cell, measured at about 30 bytes. */
const ROW_OVERHEAD_BYTES = 40;
/** Making room goes below the budget by this share, so it runs once per so many writes, not on each. */
const HEADROOM = 0.1;
const KEEP_EVERY = 4;

const sqliteCode = (error: unknown): string | undefined => (error as { code?: string }).code;

/**
 * Feature summaries waiting for the cloud, in their own SQLite file. Unlike the ticket outbox this is
 * expendable: synchronous=NORMAL (a power cut may cost the last seconds), and a disk budget kept by
 * thinning old points, then dropping the oldest. It never throws into the data path: a failed
 * write is counted and reported in stats().
 */
export class TelemetryBuffer {
  private db: Database.Database;
  private sql: (text: string) => Database.Statement;
  private readonly maxBytes: number;
  private readonly logger: Logger | undefined;
  private count = 0;
  private downsampled = 0;
  private evicted = 0;
  private dropped = 0;
  private full = false;
  private lastError?: string;

  constructor(
    readonly path: string,
    options: { maxBytes?: number; logger?: Logger } = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_TELEMETRY_BUDGET_BYTES;
    this.logger = options.logger;
    let opened: Database.Database;
    try {
      opened = this.open();
    } catch (error) {
      const code = sqliteCode(error);
      if (code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB') {
        throw new Error(
          `cannot open the telemetry buffer ${path}: ${(error as Error).message}. ` +
            'Stop any other agent using this dataDir, or give this agent its own.',
          { cause: error },
        );
      }
      // Only summaries are lost: set the file aside for inspection and start afresh, rather than
      // keep the agent (and its tickets) from starting.
      const aside = `${path}.damaged-${Date.now()}`;
      // Its WAL too: left beside a new file, SQLite would replay the old frames into it.
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      }
      this.logger?.warn(
        { path, aside },
        `the telemetry buffer was damaged; moved to ${aside}, starting empty`,
      );
      opened = this.open();
    }
    this.db = opened;
    this.sql = statementCache(this.db);
    this.count = (this.sql('SELECT count(*) AS n FROM points').get() as { n: number }).n;
  }

  private open(): Database.Database {
    const db = new Database(this.path, { timeout: 2000 });
    try {
      db.pragma('journal_mode = WAL');
      // Telemetry is not worth an fsync per write; tickets are, and live in the outbox.
      db.pragma('synchronous = NORMAL');
      // The WAL is truncated back to this after a checkpoint instead of keeping its largest size.
      db.pragma('journal_size_limit = 4194304');
      db.pragma('locking_mode = EXCLUSIVE');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') {
        throw Object.assign(new Error(`integrity check failed: ${String(check)}`), {
          code: 'SQLITE_CORRUPT',
        });
      }
      db.exec(SCHEMA);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Stores the points, making room within the budget first. Never throws: failures are counted. */
  add(points: readonly TelemetryPoint[]): void {
    if (points.length === 0) return;
    const rows = points.map((p) => [p.assetId, p.channel, p.ts, JSON.stringify(p)] as const);
    const incoming = rows.reduce((bytes, row) => bytes + row[3].length + ROW_OVERHEAD_BYTES, 0);
    const before = [this.count, this.downsampled, this.evicted] as const;
    try {
      this.db.transaction(() => {
        this.makeRoom(incoming);
        const insert = this.sql('INSERT INTO points (asset_id, channel, ts, body) VALUES (?, ?, ?, ?)');
        for (const row of rows) insert.run(...row);
        this.count += rows.length;
      })();
      if (this.full)
        this.logger?.info({ path: this.path }, 'disk space is back: telemetry is buffered again');
      this.full = false;
    } catch (error) {
      [this.count, this.downsampled, this.evicted] = before; // the transaction rolled back: so do the counts
      this.dropped += points.length;
      const message = (error as Error).message;
      if (sqliteCode(error) === 'SQLITE_FULL') {
        if (!this.full) {
          this.logger?.error(
            { path: this.path, dropped: points.length },
            'the disk is full: telemetry summaries are dropped until space is freed (tickets are unaffected)',
          );
        }
        this.full = true;
      } else if (message !== this.lastError) {
        this.logger?.error({ path: this.path, err: message }, `could not buffer telemetry: ${message}`);
      }
      this.lastError = message;
    }
  }

  /** The oldest points, at most `limit` and about `maxBytes` of JSON (at least one). */
  oldest(limit: number, maxBytes = 1024 * 1024): BufferedBatch {
    const rows = this.sql('SELECT id, body FROM points ORDER BY id LIMIT ?').all(limit) as {
      id: number;
      body: string;
    }[];
    const batch: BufferedBatch = { ids: [], bodies: [] };
    let bytes = 0;
    for (const row of rows) {
      if (batch.ids.length > 0 && bytes + row.body.length > maxBytes) break;
      batch.ids.push(row.id);
      batch.bodies.push(row.body);
      bytes += row.body.length;
    }
    return batch;
  }

  /** Removes delivered (or refused) points; ids already thinned or evicted are ignored. */
  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    const { changes } = this.sql('DELETE FROM points WHERE id IN (SELECT value FROM json_each(?))').run(
      JSON.stringify(ids),
    );
    this.count -= changes;
  }

  stats(): TelemetryBufferStats {
    return {
      points: this.count,
      bytes: this.usedBytes(),
      maxBytes: this.maxBytes,
      downsampled: this.downsampled,
      evicted: this.evicted,
      dropped: this.dropped,
      full: this.full,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  /**
   * Old detail goes first: the older half is thinned to every 4th point per asset channel (a trend
   * at 40 s instead of 10 s still shows a bearing's months of wear); only when the older half is
   * thinned already do the oldest points go.
   */
  private makeRoom(incoming: number): void {
    if (this.usedBytes() + incoming <= this.maxBytes) return;
    const target = this.maxBytes * (1 - HEADROOM) - incoming;
    for (let round = 0; round < 100 && this.count > 0 && this.usedBytes() > target; round++) {
      if (this.thinOlderHalf() === 0) this.evictOldest(target);
    }
  }

  private thinOlderHalf(): number {
    const middle = this.sql('SELECT id FROM points ORDER BY id LIMIT 1 OFFSET ?').get(
      Math.floor(this.count / 2),
    ) as { id: number } | undefined;
    if (!middle) return 0;
    const { changes } = this.sql(
      `DELETE FROM points WHERE id IN (
         SELECT id FROM (
           SELECT id, row_number() OVER (PARTITION BY asset_id, channel ORDER BY id) AS n
             FROM points WHERE id < ? AND thinned = 0)
         WHERE n % ${KEEP_EVERY} != 1)`,
    ).run(middle.id);
    this.sql('UPDATE points SET thinned = 1 WHERE id < ? AND thinned = 0').run(middle.id);
    this.count -= changes;
    this.downsampled += changes;
    return changes;
  }

  private evictOldest(targetBytes: number): void {
    const used = this.usedBytes();
    const perPoint = used / Math.max(1, this.count);
    // At least a twentieth at a time: the next writes then find room without evicting again.
    const n = Math.max(Math.ceil((used - targetBytes) / perPoint), Math.ceil(this.count / 20), 1);
    const { changes } = this.sql(
      'DELETE FROM points WHERE id IN (SELECT id FROM points ORDER BY id LIMIT ?)',
    ).run(n);
    this.count -= changes;
    this.evicted += changes;
  }
}
