import type { FastifyPluginAsync } from 'fastify';
import type { ModuleRouteOptions } from '../services.js';
import type { EventBus } from './event-bus.js';

export const busRoutes: FastifyPluginAsync<ModuleRouteOptions<EventBus>> = async () => {};
