import type { CloudModule } from '../cloud-module.js';
import { plantRoutes } from './plant-routes.js';

/**
 * The plant overview: the registry, the tickets and the telemetry read together. Routes only; its
 * tables belong to the modules it reads (import's registry, the ticket core, telemetry).
 */
export const plantModule: CloudModule<'plant', undefined, undefined> = {
  name: 'plant',
  routes: plantRoutes,
};
