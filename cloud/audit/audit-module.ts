import type { CloudModule } from '../cloud-module.js';
import { auditMigrations } from './audit-migrations.js';
import { auditRoutes } from './audit-routes.js';

/** The admin audit log: its table and its read route; other modules write to it (admin-audit.ts). */
export const auditModule: CloudModule<'audit', undefined, undefined> = {
  name: 'audit',
  migrations: auditMigrations,
  routes: auditRoutes,
};
