import type Database from 'better-sqlite3';
import { TrendHistory, type TrendHistoryState } from './trend.js';

/** Trend histories per rule × asset × channel, kept in the rule state database so a restart does not forget days of trend. */
export class TrendHistories {
  private readonly histories = new Map<string, TrendHistory>();

  constructor(
    private readonly db: Database.Database,
    private readonly onCorrupt: (key: string, reason: string) => void = () => {},
  ) {}

  get(key: string, spanMs: number, buckets: number): TrendHistory {
    let history = this.histories.get(key);
    if (!history) {
      history = this.restore(key, spanMs, buckets) ?? new TrendHistory({ spanMs, buckets });
      this.histories.set(key, history);
    }
    return history;
  }

  save(key: string, history: TrendHistory): void {
    this.db
      .prepare(
        'INSERT INTO trend_histories (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state',
      )
      .run(key, JSON.stringify(history.toJSON()));
  }

  private restore(key: string, spanMs: number, buckets: number): TrendHistory | undefined {
    const row = this.db.prepare('SELECT state FROM trend_histories WHERE key = ?').get(key) as
      { state: string } | undefined;
    if (!row) return undefined;
    try {
      const state = JSON.parse(row.state) as TrendHistoryState;
      // A rule edited to another span or resolution starts its history afresh.
      if (state.spanMs !== spanMs || state.buckets !== buckets) return undefined;
      return TrendHistory.fromJSON(state);
    } catch (error) {
      this.onCorrupt(key, (error as Error).message);
      return undefined;
    }
  }
}
