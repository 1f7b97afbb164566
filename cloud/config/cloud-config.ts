import { type Static, Type } from '@sinclair/typebox';
import { readYamlFile } from '../../shared/yaml-file.js';
import { BusConfig } from '../bus/bus-config.js';
import { CmmsConfig } from '../cmms/cmms-config.js';
import { NotificationsConfig } from '../notify/notify-config.js';
import { RoutingConfig } from '../routing/routing-config.js';

/**
 * `plantwatch cloud --config cloud.yaml`: who is on call and how tickets are routed, how people
 * are notified, where ticket events go, and the CMMS. `${NAME}` in a value is read from the
 * environment, so passwords and tokens stay out of the file.
 */
export const CloudConfigFile = Type.Object(
  {
    /** The console's address as engineers reach it, for links in notifications and work orders. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    routing: Type.Optional(RoutingConfig),
    notifications: Type.Optional(NotificationsConfig),
    bus: Type.Optional(BusConfig),
    cmms: Type.Optional(CmmsConfig),
  },
  { additionalProperties: false },
);
export type CloudConfig = Static<typeof CloudConfigFile>;

/** Reads and validates the config file; problems come as `file:line: field: message`. */
export const loadCloudConfig = (path: string): CloudConfig =>
  readYamlFile(path, CloudConfigFile, { env: true }).value;
