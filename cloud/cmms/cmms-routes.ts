import type { FastifyPluginAsync } from 'fastify';
import type { ModuleRouteOptions } from '../services.js';
import type { CmmsService } from './cmms-service.js';

export const cmmsRoutes: FastifyPluginAsync<ModuleRouteOptions<CmmsService>> = async () => {};
