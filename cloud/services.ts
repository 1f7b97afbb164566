import type { onRequestHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { CloudConfig } from './config/cloud-config.js';
import type { CloudStore } from './store/cloud-store.js';

/** What the cloud's integration modules (routing, notifications, bus, CMMS, import) are built from. */
export interface CloudServices {
  store: CloudStore;
  config: CloudConfig;
  clock: Clock;
  logger: Logger;
  /**
   * Where engineers open the console, for links in notifications and work orders: the config's
   * `publicUrl`, else the address the server listens on (known once it listens).
   */
  publicUrl(): string;
}

/** A module's routes get the services, its own running part, and the people's authentication. */
export interface ModuleRouteOptions<Module> {
  services: CloudServices;
  module: Module;
  authenticateUser: onRequestHookHandler;
}

/** A running module: stops cleanly, and can be waited on until it caught up with the change log. */
export interface CloudWorker {
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The link to a ticket in the console. */
export const ticketLink = (services: CloudServices, ticketId: string): string =>
  `${services.publicUrl().replace(/\/$/, '')}/#/tickets/${encodeURIComponent(ticketId)}`;
