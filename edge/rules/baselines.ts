import type Database from 'better-sqlite3';
import { median } from 'simple-statistics';
import { statementCache } from '../../shared/sqlite.js';

/** Enough samples for a stable median; beyond this, every other sample is dropped and the stride doubles. */
const MAX_SAMPLES = 2048;

export interface Baseline {
  key: string;
  assetId: string;
  channel: string;
  signal: string;
  learnMs: number;
  firstMs: number;
  samples: number[];
  /** Keep one incoming value in `stride`, so a long learning period stays evenly sampled in bounded memory. */
  stride: number;
  seen: number;
  value?: number;
  frozenMs?: number;
  dirty: boolean;
}

export interface BaselineView {
  assetId: string;
  channel: string;
  signal: string;
  learnMs: number;
  state: 'learning' | 'learned';
  samples: number;
  value?: number;
  learnedAt?: string;
}

interface BaselineRow {
  key: string;
  asset_id: string;
  channel: string;
  signal: string;
  learn_ms: number;
  first_ms: number;
  samples: string;
  stride: number;
  seen: number;
  value: number | null;
  frozen_ms: number | null;
}

/**
 * Per-asset baselines: the median of a signal over the first `learn` period of running (data
 * time), then frozen. Rules compare against them (`x > 4 * baseline(x)`); they survive restarts.
 */
export class Baselines {
  private readonly baselines = new Map<string, Baseline>();

  private readonly sql: (text: string) => Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.sql = statementCache(db);
    for (const row of db.prepare('SELECT * FROM baselines').all() as BaselineRow[]) {
      this.baselines.set(row.key, {
        key: row.key,
        assetId: row.asset_id,
        channel: row.channel,
        signal: row.signal,
        learnMs: row.learn_ms,
        firstMs: row.first_ms,
        samples: JSON.parse(row.samples) as number[],
        stride: row.stride,
        seen: row.seen,
        ...(row.value !== null ? { value: row.value } : {}),
        ...(row.frozen_ms !== null ? { frozenMs: row.frozen_ms } : {}),
        dirty: false,
      });
    }
  }

  /** The learned value, or undefined while still learning (a condition using it is then unknown). */
  value(assetId: string, channel: string, signal: string, learnMs: number): number | undefined {
    return this.baselines.get(`${assetId}|${channel}|${signal}|${learnMs}`)?.value;
  }

  /** The baseline of one signal of one asset channel, for a rule to keep and use on every window. */
  handle(assetId: string, channel: string, signal: string, learnMs: number): Baseline {
    const key = `${assetId}|${channel}|${signal}|${learnMs}`;
    let baseline = this.baselines.get(key);
    if (!baseline) {
      baseline = {
        key,
        assetId,
        channel,
        signal,
        learnMs,
        firstMs: 0,
        samples: [],
        stride: 1,
        seen: 0,
        dirty: false,
      };
      this.baselines.set(key, baseline);
    }
    return baseline;
  }

  learn(baseline: Baseline, minSamples: number, t: number, value: number): void {
    if (baseline.value !== undefined) return;
    if (baseline.seen === 0) baseline.firstMs = t;
    if (baseline.seen++ % baseline.stride === 0) baseline.samples.push(value);
    if (baseline.samples.length >= MAX_SAMPLES) {
      baseline.samples = baseline.samples.filter((_, i) => i % 2 === 0);
      baseline.stride *= 2;
    }
    baseline.dirty = true;
    if (t - baseline.firstMs >= baseline.learnMs && baseline.seen >= minSamples) {
      baseline.value = median(baseline.samples);
      baseline.frozenMs = t;
      this.save(baseline);
    }
  }

  /** Learning progress is written now and then (and at stop), a learned value at once. */
  flush(): void {
    const dirty = [...this.baselines.values()].filter((b) => b.dirty);
    if (dirty.length > 0) this.db.transaction(() => dirty.forEach((b) => this.save(b)))();
  }

  list(): BaselineView[] {
    return [...this.baselines.values()]
      .filter((b) => b.seen > 0)
      .map((b) => ({
        assetId: b.assetId,
        channel: b.channel,
        signal: b.signal,
        learnMs: b.learnMs,
        state: b.value === undefined ? 'learning' : 'learned',
        samples: b.seen,
        ...(b.value !== undefined ? { value: b.value } : {}),
        ...(b.frozenMs !== undefined ? { learnedAt: new Date(b.frozenMs).toISOString() } : {}),
      }));
  }

  private save(b: Baseline): void {
    this.sql(
      `INSERT INTO baselines (key, asset_id, channel, signal, learn_ms, first_ms, samples, stride, seen, value, frozen_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET samples = excluded.samples, stride = excluded.stride,
           seen = excluded.seen, value = excluded.value, frozen_ms = excluded.frozen_ms`,
    ).run(
      b.key,
      b.assetId,
      b.channel,
      b.signal,
      b.learnMs,
      b.firstMs,
      // A learned baseline needs no samples any more.
      JSON.stringify(b.value === undefined ? b.samples : []),
      b.stride,
      b.seen,
      b.value ?? null,
      b.frozenMs ?? null,
    );
    b.dirty = false;
  }
}
