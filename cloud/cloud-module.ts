import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { authenticateUser } from './access/user-auth.js';
import type { CloudMetrics } from './metrics.js';
import type { CloudServices } from './services.js';
import type { Migration } from './store/sql-database.js';

/**
 * A cloud module as the cloud knows it: one description, listed once in cloud-modules.ts, from
 * which the migrations, the config file's schema, the start and stop order and the routes follow.
 * A module registers only what it has: the ticket core has tables and routes but nothing running,
 * routing has all of them.
 */
export interface CloudModule<
  Name extends string = string,
  Running extends CloudWorker | undefined = CloudWorker | undefined,
  Config extends TSchema | undefined = TSchema | undefined,
> {
  /** Its key in `cloud.yaml` (when it has a config) and in RunningCloud.modules (when it runs). */
  readonly name: Name;
  /** The schema of its section of `cloud.yaml`; the section is optional. */
  readonly config?: Config;
  /** Its tables, in order; ids are recorded in every database, so never renamed or reordered. */
  readonly migrations?: readonly Migration[];
  /** Starts its running part with its section of `cloud.yaml` (undefined when the file has none). */
  start?(services: CloudServices, config: ModuleConfig<Config>): Promise<Running>;
  /** Registers its HTTP routes, as a fastify plugin of their own. */
  routes?(app: FastifyInstance, options: ModuleRouteOptions<Running>): Promise<void>;
}

/** What a module's start gets of `cloud.yaml`: its own section, if the file has one. */
export type ModuleConfig<Config extends TSchema | undefined> = Config extends TSchema
  ? Static<Config> | undefined
  : undefined;

/** A running module: stops cleanly, and can be waited on until it caught up with the change log. */
export interface CloudWorker {
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Request limits the server is started with. */
export interface CloudLimits {
  /** Ingest requests allowed per gateway per window. */
  ingest: { max: number; timeWindowMs: number };
  /** Login attempts per address and username per window (the access routes' default when absent). */
  login?: { max: number; timeWindowMs: number };
}

/** A module's routes get the services, its own running part, the people's authentication, metrics and limits. */
export interface ModuleRouteOptions<Running = undefined> {
  services: CloudServices;
  module: Running;
  authenticateUser: ReturnType<typeof authenticateUser>;
  metrics: CloudMetrics;
  limits: CloudLimits;
}
