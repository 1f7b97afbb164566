import Database from 'better-sqlite3';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS baselines (
    key TEXT PRIMARY KEY,
    asset_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    signal TEXT NOT NULL,
    learn_ms INTEGER NOT NULL,
    first_ms INTEGER NOT NULL,
    samples TEXT NOT NULL,
    stride INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    value REAL,
    frozen_ms INTEGER
  ) STRICT;
  CREATE TABLE IF NOT EXISTS trend_histories (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL
  ) STRICT;
`;

/**
 * What rules learn over time (baselines, trend histories), kept apart from the outbox: it is
 * re-learnable, so it is written with synchronous=NORMAL and never delays a ticket's fsync.
 */
export function openRuleStateDb(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: 2000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return db;
  } catch (error) {
    db?.close();
    throw new Error(
      `cannot open the rule state database ${path}: ${(error as Error).message}. ` +
        'It holds learned baselines and trend histories only: move it aside to start learning afresh.',
      { cause: error },
    );
  }
}
