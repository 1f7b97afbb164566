import { CLOUD_MIGRATIONS } from './cloud-modules.js';
import { type CloudStore, cloudStoreOver } from './cloud-store.js';
import { openMigratedDatabase } from './store/open-sql-database.js';
import type { SqlDatabase } from './store/sql-database.js';

/** The cloud database (a SQLite path or a postgres:// URL), opened and migrated to this version. */
export const openCloudDatabase = (db: string): Promise<SqlDatabase> =>
  openMigratedDatabase(db, CLOUD_MIGRATIONS);

/** The cloud's stores over its database, opened and migrated. */
export async function openCloudStore(db: string): Promise<CloudStore> {
  return cloudStoreOver(await openCloudDatabase(db));
}
