import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { openDurableSqlite, statementCache } from '../../shared/sqlite.js';
import type { Migration, SqlDatabase, SqlExecutor, SqlValue } from './sql-database.js';

/**
 * better-sqlite3 behind the async SqlDatabase interface. One connection serves every request, so a
 * transaction that awaits must not let another request's statements slip into it: transactions
 * run one at a time, and statements outside a transaction wait for the running one to finish.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly sql: (text: string) => Database.Statement;
  private idle: Promise<unknown> = Promise.resolve();
  private readonly inside: SqlExecutor;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // An acknowledged event must survive a power cut: the gateway forgets it once we answer.
    this.db = openDurableSqlite(path, 5000);
    this.sql = statementCache(this.db);
    this.inside = {
      dialect: 'sqlite',
      all: async <Row>(text: string, params: readonly SqlValue[] = []) =>
        this.sql(text).all(...params) as Row[],
      get: async <Row>(text: string, params: readonly SqlValue[] = []) =>
        this.sql(text).get(...params) as Row | undefined,
      run: async (text: string, params: readonly SqlValue[] = []) => this.sql(text).run(...params).changes,
    };
  }

  async all<Row>(text: string, params?: readonly SqlValue[]): Promise<Row[]> {
    await this.idle;
    return this.inside.all<Row>(text, params);
  }

  async get<Row>(text: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    await this.idle;
    return this.inside.get<Row>(text, params);
  }

  async run(text: string, params?: readonly SqlValue[]): Promise<number> {
    await this.idle;
    return this.inside.run(text, params);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const result = this.idle.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(this.inside);
        this.db.exec('COMMIT');
        return value;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.idle = result.catch(() => undefined);
    return result;
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.run(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      // Databases created before schema_migrations recorded their one migration in user_version.
      if ((this.db.pragma('user_version', { simple: true }) as number) >= 1) {
        await tx.run("INSERT INTO schema_migrations VALUES ('core-1', ?) ON CONFLICT DO NOTHING", [
          new Date().toISOString(),
        ]);
      }
      const applied = new Set(
        (await tx.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id),
      );
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        this.db.exec(migration.sqlite);
        await tx.run('INSERT INTO schema_migrations VALUES (?, ?)', [migration.id, new Date().toISOString()]);
      }
    });
  }

  async close(): Promise<void> {
    await this.idle;
    if (this.db.open) this.db.close();
  }
}
