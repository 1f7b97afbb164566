import type { FastifyPluginAsync } from 'fastify';
import type { ModuleRouteOptions } from '../services.js';
import type { RoutingService } from './routing-service.js';

export const routingRoutes: FastifyPluginAsync<ModuleRouteOptions<RoutingService>> = async () => {};
