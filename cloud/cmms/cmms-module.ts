import type { CloudModule } from '../cloud-module.js';
import { CmmsConfig } from './cmms-config.js';
import { cmmsMigrations } from './cmms-migrations.js';
import { cmmsRoutes } from './cmms-routes.js';
import { type CmmsService, startCmms } from './cmms-service.js';

/** Work orders in the plant's CMMS: the `cmms:` section, export and sync, its routes. */
export const cmmsModule: CloudModule<'cmms', CmmsService, typeof CmmsConfig> = {
  name: 'cmms',
  config: CmmsConfig,
  migrations: cmmsMigrations,
  start: startCmms,
  routes: cmmsRoutes,
};
