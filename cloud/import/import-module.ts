import type { CloudModule } from '../cloud-module.js';
import { importMigrations } from './import-migrations.js';
import { importRoutes } from './import-routes.js';

/** Bulk import of history and the asset registry: tables and routes, nothing running. */
export const importModule: CloudModule<'import', undefined, undefined> = {
  name: 'import',
  migrations: importMigrations,
  routes: importRoutes,
};
