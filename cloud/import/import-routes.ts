import type { FastifyPluginAsync } from 'fastify';
import type { ModuleRouteOptions } from '../services.js';

export const importRoutes: FastifyPluginAsync<ModuleRouteOptions<undefined>> = async () => {};
