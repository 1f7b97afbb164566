import { accessMigrations } from '../access/access-migrations.js';
import { telemetryMigrations } from '../telemetry/telemetry-migrations.js';
import { coreMigrations } from './core-migrations.js';
import { openSqlDatabase, type SqlDatabase } from './sql-database.js';

/** Each module owns its tables; their migrations run in this order, each module's in its own order. */
export const CLOUD_MIGRATIONS = [...coreMigrations, ...accessMigrations, ...telemetryMigrations];

/** The cloud database (a SQLite path or a postgres:// URL), opened and migrated to this version. */
export async function openCloudDatabase(db: string): Promise<SqlDatabase> {
  const database = await openSqlDatabase(db);
  try {
    await database.migrate(CLOUD_MIGRATIONS);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
