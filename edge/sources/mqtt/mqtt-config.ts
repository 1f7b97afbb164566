import { isAbsolute, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import {
  type EmbeddedBrokerConfig,
  EmbeddedBrokerSection,
  embeddedBrokerProblems,
  resolveEmbeddedBroker,
} from './embedded-broker-config.js';

/** The `mqtt:` section of the edge config: the broker the sensors publish to, and the topics. */
export const MqttSection = Type.Object(
  {
    /** An external broker (mqtt://, mqtts://); without it the embedded broker runs. */
    url: Type.Optional(Type.String({ pattern: '^(mqtts?|wss?|tcp)://' })),
    /** The in-process broker: where it listens, its logins, TLS and packet limit. */
    embedded: Type.Optional(EmbeddedBrokerSection),
    topicPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_./-]{1,64}$' })),
    /** Publish each ticket's state on `<topicPrefix>/alerts/<site>/<asset>/<ticket>` (default true). */
    alerts: Type.Optional(Type.Boolean()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    /** For `mqtts://` and `wss://`: whom to trust, and the agent's own certificate if the broker wants one. */
    tls: Type.Optional(
      Type.Object(
        {
          /** PEM file of the CA that signed the broker's certificate (default: the system's CAs). */
          caFile: Type.Optional(Type.String({ minLength: 1 })),
          /** PEM client certificate and its private key, for brokers that require one. */
          certFile: Type.Optional(Type.String({ minLength: 1 })),
          keyFile: Type.Optional(Type.String({ minLength: 1 })),
          /** The name the broker's certificate must carry, when the URL holds an address or another name. */
          servername: Type.Optional(Type.String({ minLength: 1 })),
          /** Default true. False accepts any certificate: for a first test only, never in production. */
          rejectUnauthorized: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type MqttSection = Static<typeof MqttSection>;

/** The `mqtt:` section with every default applied. */
export interface MqttConfig {
  /** Undefined: the embedded broker runs. */
  url?: string;
  embedded: EmbeddedBrokerConfig;
  topicPrefix: string;
  alerts: boolean;
  username?: string;
  password?: string;
  /** File paths absolute. */
  tls?: MqttTlsConfig;
}

export interface MqttTlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

/** `baseDir`: relative TLS file paths are read beside the config file. */
export function resolveMqttConfig(mqtt: MqttSection | undefined, baseDir = process.cwd()): MqttConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const tls = mqtt?.tls;
  return {
    ...(mqtt?.url ? { url: mqtt.url } : {}),
    embedded: resolveEmbeddedBroker(mqtt?.embedded, baseDir),
    topicPrefix: mqtt?.topicPrefix ?? 'plantwatch',
    alerts: mqtt?.alerts ?? true,
    ...(mqtt?.username ? { username: mqtt.username } : {}),
    ...(mqtt?.password ? { password: mqtt.password } : {}),
    ...(tls
      ? {
          tls: {
            ...(tls.caFile ? { caFile: path(tls.caFile) } : {}),
            ...(tls.certFile ? { certFile: path(tls.certFile) } : {}),
            ...(tls.keyFile ? { keyFile: path(tls.keyFile) } : {}),
            ...(tls.servername ? { servername: tls.servername } : {}),
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
          },
        }
      : {}),
  };
}

/**
 * What the schema cannot say: a certificate needs its key, TLS settings need a TLS URL, an embedded
 * broker beyond loopback needs logins.
 */
export function mqttSectionProblems(mqtt: MqttSection | undefined): { path: string; message: string }[] {
  // An embedded section beside a url is not used: its problems would stop an agent for nothing.
  const problems = mqtt?.url ? [] : embeddedBrokerProblems(mqtt?.embedded);
  const tls = mqtt?.tls;
  if (!tls) return problems;
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile))
    problems.push({
      path: `mqtt/tls/${tls.certFile ? 'keyFile' : 'certFile'}`,
      message: 'a client certificate needs both certFile and keyFile',
    });
  if (!mqtt?.url || !/^(mqtts|wss):\/\//.test(mqtt.url))
    problems.push({
      path: 'mqtt/tls',
      message: `TLS settings need an mqtts:// or wss:// url (got ${mqtt?.url ? `'${withoutCredentials(mqtt.url)}'` : 'none: the embedded broker'})`,
    });
  return problems;
}

/** A broker URL fit for logs: a password written into it (mqtt://user:secret@host) is left out. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');
}
