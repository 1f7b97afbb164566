import pg from 'pg';
import type { Migration, SqlDatabase, SqlExecutor, SqlValue } from './sql-database.js';

// count(*) and BIGINT columns arrive as text by default; our counts and seqs fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** `?` placeholders to PostgreSQL's `$1, $2, ...` (our statements never hold a literal `?`). */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const executor = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
  dialect: 'postgres',
  all: async <Row>(sql: string, params: readonly SqlValue[] = []) =>
    (await client.query(numbered(sql), params as SqlValue[])).rows as Row[],
  get: async <Row>(sql: string, params: readonly SqlValue[] = []) =>
    (await client.query(numbered(sql), params as SqlValue[])).rows[0] as Row | undefined,
  run: async (sql: string, params: readonly SqlValue[] = []) =>
    (await client.query(numbered(sql), params as SqlValue[])).rowCount ?? 0,
});

/** Any instance may start first; they take turns at migrating under one advisory lock. */
const MIGRATION_LOCK = 7_402_913;

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly direct: SqlExecutor;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
    this.direct = executor(pool);
  }

  static async connect(url: string): Promise<PostgresDatabase> {
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle client losing its server (restart, failover) must not crash the process.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (error) {
      await pool.end();
      throw new Error(`cannot reach PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new PostgresDatabase(pool);
  }

  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.direct.all<Row>(sql, params);
  }

  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.direct.get<Row>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn(executor(client));
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await tx.run(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const applied = new Set(
        (await tx.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id),
      );
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await tx.run(migration.postgres);
        await tx.run('INSERT INTO schema_migrations VALUES (?, ?)', [migration.id, new Date().toISOString()]);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The password never reaches a log line or an error message. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
