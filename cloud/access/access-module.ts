import type { CloudModule } from '../cloud-module.js';
import { accessMigrations } from './access-migrations.js';
import { accessRoutes } from './access-routes.js';

/** Gateway tokens, users, roles and sessions: tables and routes, nothing running. */
export const accessModule: CloudModule<'access', undefined, undefined> = {
  name: 'access',
  migrations: accessMigrations,
  async routes(app, { services, limits }) {
    await app.register(accessRoutes, {
      access: services.store.access,
      ...(limits.login ? { loginRateLimit: limits.login } : {}),
    });
  },
};
