import type { CloudModule } from '../cloud-module.js';
import { RoutingConfig } from './routing-config.js';
import { routingMigrations } from './routing-migrations.js';
import { routingRoutes } from './routing-routes.js';
import { type RoutingService, startRouting } from './routing-service.js';

/** Who gets a ticket: the `routing:` section, its tables, the consumer and timer, `/api/v1/routing…`. */
export const routingModule: CloudModule<'routing', RoutingService, typeof RoutingConfig> = {
  name: 'routing',
  config: RoutingConfig,
  migrations: routingMigrations,
  start: startRouting,
  routes: routingRoutes,
};
