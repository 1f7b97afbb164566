import Database from 'better-sqlite3';

/**
 * A SQLite database for data that must survive a power cut: WAL (readers never block the writer)
 * and synchronous=FULL (a commit is on disk before it returns). Both the edge outbox and the cloud
 * store promise that what they acknowledge is kept.
 */
export function openDurableSqlite(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

/** Compiles each statement once: preparing costs about as much as running a small insert. */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
