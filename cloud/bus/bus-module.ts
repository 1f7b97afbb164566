import type { CloudModule } from '../cloud-module.js';
import { BusConfig } from './bus-config.js';
import { busMigrations } from './bus-migrations.js';
import { busRoutes } from './bus-routes.js';
import { type EventBus, startEventBus } from './event-bus.js';

/** Ticket events for other systems: the `bus:` section, its tables, webhooks and MQTT, its routes. */
export const busModule: CloudModule<'bus', EventBus, typeof BusConfig> = {
  name: 'bus',
  config: BusConfig,
  migrations: busMigrations,
  start: startEventBus,
  routes: busRoutes,
};
