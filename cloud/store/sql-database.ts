/**
 * The little SQL the cloud stores need, over SQLite (one file, zero setup) or PostgreSQL (several
 * stateless cloud instances behind a load balancer). Statements use `?` placeholders and the
 * subset of SQL both dialects share (ON CONFLICT, RETURNING); what differs lives in the migrations.
 */
export type SqlValue = string | number | null;

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export type SqlDialect = 'sqlite' | 'postgres';

/** One schema change, written for each dialect. Ids are unique and never reused; append, never edit. */
export interface Migration {
  id: string;
  sqlite: string;
  postgres: string;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: SqlDialect;
  /**
   * Runs fn in one transaction: all of its statements commit together or none does. On PostgreSQL,
   * rows a transaction must serialise on are locked with `UPDATE ... RETURNING` (works in both).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Applies the migrations not applied yet, in order; safe when several instances start at once. */
  migrate(migrations: readonly Migration[]): Promise<void>;
  close(): Promise<void>;
}

/** `?, ?, ?` for n values, and `(?, ?), (?, ?)` for rows of a multi-row insert. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

// Built once per shape: an ingest batch would otherwise spend a tenth of its time writing `?`s.
const rowPlaceholderCache = new Map<string, string>();
export function rowPlaceholders(rows: number, columns: number): string {
  const key = `${rows}x${columns}`;
  let text = rowPlaceholderCache.get(key);
  if (text === undefined) {
    text = Array.from({ length: rows }, () => `(${placeholders(columns)})`).join(', ');
    if (rowPlaceholderCache.size < 1000) rowPlaceholderCache.set(key, text);
  }
  return text;
}
