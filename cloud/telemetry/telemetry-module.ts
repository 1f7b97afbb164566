import { visibleSites } from '../access/access-store.js';
import { registeredSites } from '../assets/asset-store.js';
import { gatewayAuth } from '../access/gateway-auth.js';
import { currentUser } from '../access/user-auth.js';
import type { CloudModule } from '../cloud-module.js';
import { telemetryMigrations } from './telemetry-migrations.js';
import { telemetryRoutes } from './telemetry-routes.js';

/**
 * Feature summaries from the edge and trends: tables (for the store sink) and routes. The sink
 * itself (InfluxDB or the store) is opened with the cloud, as a service (services.telemetry).
 */
export const telemetryModule: CloudModule<'telemetry', undefined, undefined> = {
  name: 'telemetry',
  migrations: telemetryMigrations,
  async routes(app, { services, authenticateUser, metrics }) {
    await app.register(telemetryRoutes, {
      sink: services.telemetry,
      authenticateGateway: gatewayAuth(services.store.access),
      authenticateUser,
      visibleSites: (request) => visibleSites(currentUser(request)),
      metrics: { pointsWritten: metrics.telemetryPointsWritten, rejects: metrics.telemetryRejects },
      registeredSites: (assetIds) => registeredSites(services.store.database, assetIds),
    });
  },
};
