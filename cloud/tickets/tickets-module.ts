import type { CloudModule } from '../cloud-module.js';
import { ingestRoute } from './ingest-route.js';
import { reportsRoutes } from './reports-routes.js';
import { ticketsMigrations } from './tickets-migrations.js';
import { ticketsRoutes } from './tickets-routes.js';

/**
 * The ticket core: gateways' events applied into tickets, the engineers' review, the change log.
 * Its migrations run first, as they always have (the `core-` ids); nothing of it runs on its own.
 */
export const ticketsModule: CloudModule<'tickets', undefined, undefined> = {
  name: 'tickets',
  migrations: ticketsMigrations,
  async routes(app, { services, metrics, limits, authenticateUser }) {
    const { store } = services;
    await app.register(ingestRoute, { store, metrics, rateLimit: limits.ingest });
    await app.register(ticketsRoutes, {
      review: store.review,
      ingest: store.ingest,
      access: store.access,
      authenticateUser,
      metrics,
    });
    await app.register(reportsRoutes, { database: store.database, clock: services.clock, authenticateUser });
  },
};
