import type { Static, TSchema } from '@sinclair/typebox';
import { accessModule } from './access/access-module.js';
import { auditModule } from './audit/audit-module.js';
import { busModule } from './bus/bus-module.js';
import type { CloudModule, CloudWorker } from './cloud-module.js';
import { cmmsModule } from './cmms/cmms-module.js';
import { importModule } from './import/import-module.js';
import { plantModule } from './assets/plant-module.js';
import { notifyModule } from './notify/notify-module.js';
import { routingModule } from './routing/routing-module.js';
import type { Migration } from './store/sql-database.js';
import { telemetryModule } from './telemetry/telemetry-module.js';
import { ticketsModule } from './tickets/tickets-module.js';

/**
 * Every cloud module, once. Their order is the order of the migrations (existing databases
 * recorded it: never reorder, only append), of the config file's sections, of starting (routing
 * before notifications: a notification about a new ticket names its assignee; stopping is the
 * reverse) and of registering routes. A new module is one entry here.
 */
const MODULES = [
  ticketsModule,
  accessModule,
  telemetryModule,
  importModule,
  routingModule,
  notifyModule,
  busModule,
  cmmsModule,
  auditModule,
  plantModule,
] as const;

export const CLOUD_MODULES: readonly CloudModule[] = MODULES;

/** Each module's migrations, in the modules' order, each module's in its own order. */
export const CLOUD_MIGRATIONS: readonly Migration[] = CLOUD_MODULES.flatMap(
  (module) => module.migrations ?? [],
);

type ListedModule = (typeof MODULES)[number];

/** The running parts by module name, as `RunningCloud.modules.routing`. */
export type RunningModules = {
  [
    M in ListedModule as M extends CloudModule<infer Name, infer Running, infer _Config>
      ? Running extends CloudWorker
        ? Name
        : never
      : never
  ]: M extends CloudModule<string, infer Running, infer _Config> ? Running : never;
};

/** The modules' sections of `cloud.yaml`, each optional, typed by its schema. */
export type ModuleConfigs = {
  [
    M in ListedModule as M extends CloudModule<infer Name, infer _Running, infer Config>
      ? Config extends TSchema
        ? Name
        : never
      : never
  ]?: M extends CloudModule<string, infer _Running, infer Config extends TSchema> ? Static<Config> : never;
};
