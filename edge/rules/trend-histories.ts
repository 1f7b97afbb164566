import type Database from 'better-sqlite3';
import { statementCache } from '../../shared/sqlite.js';
import { TrendHistory, type TrendHistoryState } from './trend.js';

/** Trend histories per rule × asset × channel, kept in the rule state database so a restart does not forget days of trend. */
export class TrendHistories {
  private readonly histories = new Map<string, TrendHistory>();
  private readonly sql: (text: string) => Database.Statement;

  constructor(
    db: Database.Database,
    private readonly onCorrupt: (key: string, reason: string) => void = () => {},
  ) {
    this.sql = statementCache(db);
  }

  get(key: string, spanMs: number, buckets: number): TrendHistory {
    let history = this.histories.get(key);
    if (!history) {
      history = this.restore(key, spanMs, buckets) ?? new TrendHistory({ spanMs, buckets });
      this.histories.set(key, history);
    }
    return history;
  }

  save(key: string, history: TrendHistory): void {
    this.sql(
      'INSERT INTO trend_histories (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state',
    ).run(key, JSON.stringify(history.toJSON()));
  }

  private restore(key: string, spanMs: number, buckets: number): TrendHistory | undefined {
    const row = this.sql('SELECT state FROM trend_histories WHERE key = ?').get(key) as
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
