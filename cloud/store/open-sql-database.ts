import type { Migration, SqlDatabase } from './sql-database.js';

export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);

/** A SQLite path or a postgres:// URL, opened; only the adapter chosen is loaded. */
export async function openSqlDatabase(db: string): Promise<SqlDatabase> {
  if (isPostgresUrl(db)) {
    const { PostgresDatabase } = await import('./postgres-database.js');
    return PostgresDatabase.connect(db);
  }
  const { SqliteDatabase } = await import('./sqlite-database.js');
  return new SqliteDatabase(db);
}

/** The database opened and migrated to these migrations (in their order); closed again if that fails. */
export async function openMigratedDatabase(
  db: string,
  migrations: readonly Migration[],
): Promise<SqlDatabase> {
  const database = await openSqlDatabase(db);
  try {
    await database.migrate(migrations);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
