import type { FastifyPluginAsync } from 'fastify';
import type { ModuleRouteOptions } from '../services.js';
import type { NotificationService } from './notification-service.js';

export const notificationRoutes: FastifyPluginAsync<ModuleRouteOptions<NotificationService>> = async () => {};
