import { accessMigrations } from '../access/access-migrations.js';
import { busMigrations } from '../bus/bus-migrations.js';
import { cmmsMigrations } from '../cmms/cmms-migrations.js';
import { importMigrations } from '../import/import-migrations.js';
import { notifyMigrations } from '../notify/notify-migrations.js';
import { routingMigrations } from '../routing/routing-migrations.js';
import { telemetryMigrations } from '../telemetry/telemetry-migrations.js';
import { coreMigrations } from './core-migrations.js';
import { openSqlDatabase, type SqlDatabase } from './sql-database.js';

/** Each module owns its tables; their migrations run in this order, each module's in its own order. */
export const CLOUD_MIGRATIONS = [
  ...coreMigrations,
  ...accessMigrations,
  ...telemetryMigrations,
  ...importMigrations,
  ...routingMigrations,
  ...notifyMigrations,
  ...busMigrations,
  ...cmmsMigrations,
];

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
