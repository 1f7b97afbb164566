import { dirname, isAbsolute, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { defaultRulesDir } from '../shared/paths.js';
import { GatewayId } from '../shared/schema/index.js';
import { readYamlFile } from '../shared/yaml-file.js';
import { Duration, durationMs } from './rules/rule-schema.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Host = Type.String({ minLength: 1 });

/** The agent's config file. `${ENV}` references are substituted, so tokens can stay out of the file. */
export const EdgeConfigFile = Type.Object(
  {
    gatewayId: GatewayId,
    site: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    rulesDir: Type.Optional(Type.String({ minLength: 1 })),
    http: Type.Optional(
      Type.Object({ host: Type.Optional(Host), port: Type.Optional(Port) }, { additionalProperties: false }),
    ),
    mqtt: Type.Optional(
      Type.Object(
        {
          /** An external broker (mqtt://, mqtts://); without it the embedded broker runs. */
          url: Type.Optional(Type.String({ pattern: '^(mqtts?|wss?|tcp)://' })),
          embedded: Type.Optional(
            Type.Object(
              { host: Type.Optional(Host), port: Type.Optional(Port) },
              { additionalProperties: false },
            ),
          ),
          topicPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_./-]{1,64}$' })),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    cloud: Type.Object(
      {
        url: Type.String({ pattern: '^https?://' }),
        token: Type.String({
          minLength: 16,
          description: 'per-gateway token from `plantwatch cloud tokens create`',
        }),
        batchMaxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        batchMaxBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
        retryInitial: Type.Optional(Duration),
        retryMax: Type.Optional(Duration),
        requestTimeout: Type.Optional(Duration),
      },
      { additionalProperties: false },
    ),
    tickets: Type.Optional(
      Type.Object({ updateInterval: Type.Optional(Duration) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type EdgeConfigFile = Static<typeof EdgeConfigFile>;

/** The config with every default applied and every path absolute. */
export interface EdgeConfig {
  gatewayId: string;
  site: string;
  dataDir: string;
  rulesDir: string;
  http: { host: string; port: number };
  mqtt: {
    url?: string;
    embedded: { host: string; port: number };
    topicPrefix: string;
    username?: string;
    password?: string;
  };
  cloud: {
    url: string;
    token: string;
    batchMaxEvents: number;
    batchMaxBytes: number;
    retryInitialMs: number;
    retryMaxMs: number;
    requestTimeoutMs: number;
  };
  tickets: { updateIntervalMs: number };
}

export function resolveEdgeConfig(file: EdgeConfigFile, baseDir: string): EdgeConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    gatewayId: file.gatewayId,
    site: file.site,
    dataDir: path(file.dataDir ?? '.plantwatch/edge'),
    rulesDir: file.rulesDir ? path(file.rulesDir) : defaultRulesDir(),
    http: { host: file.http?.host ?? '127.0.0.1', port: file.http?.port ?? 8081 },
    mqtt: {
      ...(file.mqtt?.url ? { url: file.mqtt.url } : {}),
      embedded: { host: file.mqtt?.embedded?.host ?? '127.0.0.1', port: file.mqtt?.embedded?.port ?? 1883 },
      topicPrefix: file.mqtt?.topicPrefix ?? 'plantwatch',
      ...(file.mqtt?.username ? { username: file.mqtt.username } : {}),
      ...(file.mqtt?.password ? { password: file.mqtt.password } : {}),
    },
    cloud: {
      url: file.cloud.url,
      token: file.cloud.token,
      batchMaxEvents: file.cloud.batchMaxEvents ?? 200,
      batchMaxBytes: file.cloud.batchMaxBytes ?? 512 * 1024,
      retryInitialMs: durationMs(file.cloud.retryInitial ?? '500ms'),
      retryMaxMs: durationMs(file.cloud.retryMax ?? '60s'),
      requestTimeoutMs: durationMs(file.cloud.requestTimeout ?? '15s'),
    },
    tickets: { updateIntervalMs: durationMs(file.tickets?.updateInterval ?? '60s') },
  };
}

export function loadEdgeConfig(file: string): EdgeConfig {
  const parsed = readYamlFile(file, EdgeConfigFile, { env: true });
  return resolveEdgeConfig(parsed.value, dirname(resolve(file)));
}
