import { Type } from '@sinclair/typebox';
import { readYamlFile } from '../../shared/yaml-file.js';
import { CLOUD_MODULES, type ModuleConfigs } from '../cloud-modules.js';

/**
 * `plantwatch cloud --config cloud.yaml`: the console's public address, and one optional section
 * per module that has a config (routing, notifications, bus, cmms: see cloud-modules.ts), named
 * after it. `${NAME}` in a value is read from the environment, so passwords and tokens stay out
 * of the file.
 */
export const CloudConfigFile = Type.Object(
  {
    /** The console's address as engineers reach it, for links in notifications and work orders. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** `token` (${METRICS_TOKEN}): the bearer token Prometheus sends for /metrics. */
    metrics: Type.Optional(
      Type.Object({ token: Type.String({ minLength: 16 }) }, { additionalProperties: false }),
    ),
    ...Object.fromEntries(
      CLOUD_MODULES.flatMap((module) => (module.config ? [[module.name, Type.Optional(module.config)]] : [])),
    ),
  },
  { additionalProperties: false },
);
export type CloudConfig = { publicUrl?: string; metrics?: { token: string } } & ModuleConfigs;

/** Reads and validates the config file; problems come as `file:line: field: message`. */
export const loadCloudConfig = (path: string): CloudConfig =>
  readYamlFile(path, CloudConfigFile, { env: true }).value as CloudConfig;
