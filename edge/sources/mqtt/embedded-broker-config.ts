import { isAbsolute, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { loginListProblems } from './broker-logins.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Host = Type.String({ minLength: 1 });
const AssetPattern = '^([A-Za-z0-9_.-]{1,64}|\\*)$';

/** Enough for a 16,384-sample JSON waveform (about 140 KB) several times over. */
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

/** One login on the embedded broker: a device, or several sharing it, and the assets it may publish for. */
const BrokerUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    /** From the environment (`${MQTT_PUMP1_PASSWORD}`), never written in the file. */
    password: Type.Optional(Type.String({ minLength: 1 })),
    /** Instead of password: `sha256:<hex>` or `scrypt:<salt hex>:<key hex>` (see the README). */
    passwordHash: Type.Optional(Type.String({ minLength: 1 })),
    /** The assets whose topics this login may publish on; `*` for any asset (a shared gateway login). */
    assets: Type.Array(Type.String({ pattern: AssetPattern }), { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** `mqtt.embedded`: where the in-process broker listens and whom it lets in. */
export const EmbeddedBrokerSection = Type.Object(
  {
    host: Type.Optional(Host),
    port: Type.Optional(Port),
    /** Logins for sensors and gateways; anonymous clients are refused once there is one. */
    users: Type.Optional(Type.Array(BrokerUser)),
    /** Without users: accept clients without a login on a non-loopback address too (not recommended). */
    anonymous: Type.Optional(Type.Boolean()),
    /** Larger MQTT packets are refused and their connection closed (default 1 MiB). */
    maxPacketBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024 })),
    /** A TLS listener beside the plain one (which then can stay on loopback for the agent itself). */
    tls: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Host),
          port: Type.Optional(Port),
          /** PEM certificate and private key the broker presents. */
          certFile: Type.String({ minLength: 1 }),
          keyFile: Type.String({ minLength: 1 }),
          /** PEM CA: when set, clients must present a certificate it signed. */
          caFile: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type EmbeddedBrokerSection = Static<typeof EmbeddedBrokerSection>;

export interface BrokerUserConfig {
  username: string;
  password?: string;
  passwordHash?: string;
  assets: string[];
}

/** `mqtt.embedded` with every default applied, file paths absolute. */
export interface EmbeddedBrokerConfig {
  host: string;
  port: number;
  users: BrokerUserConfig[];
  /** True when clients without a login are let in (no users configured). */
  anonymous: boolean;
  maxPacketBytes: number;
  tls?: { host: string; port: number; certFile: string; keyFile: string; caFile?: string };
}

export function resolveEmbeddedBroker(
  embedded: EmbeddedBrokerSection | undefined,
  baseDir: string,
): EmbeddedBrokerConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const host = embedded?.host ?? '127.0.0.1';
  const users = embedded?.users ?? [];
  const tls = embedded?.tls;
  return {
    host,
    port: embedded?.port ?? 1883,
    users,
    anonymous: users.length === 0,
    maxPacketBytes: embedded?.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES,
    ...(tls
      ? {
          tls: {
            host: tls.host ?? host,
            port: tls.port ?? 8883,
            certFile: path(tls.certFile),
            keyFile: path(tls.keyFile),
            ...(tls.caFile ? { caFile: path(tls.caFile) } : {}),
          },
        }
      : {}),
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * What the schema cannot say: a broker reachable from the plant network needs logins (or an
 * explicit `anonymous: true`), each login exactly one of password and passwordHash.
 */
export function embeddedBrokerProblems(
  embedded: EmbeddedBrokerSection | undefined,
): { path: string; message: string }[] {
  if (!embedded) return [];
  const problems: { path: string; message: string }[] = [];
  const users = embedded.users ?? [];
  const exposed = [embedded.host, embedded.tls ? (embedded.tls.host ?? embedded.host) : undefined].find(
    (host) => host !== undefined && !isLoopback(host),
  );
  if (exposed !== undefined && users.length === 0 && embedded.anonymous !== true)
    problems.push({
      path: 'mqtt/embedded/users',
      message:
        `the embedded broker listens on ${exposed}, beyond this host, without logins: list the sensors' ` +
        'logins in mqtt.embedded.users (username, password: ${ENV_VAR}, assets), or set ' +
        'mqtt.embedded.anonymous: true to let anyone on the network publish (not recommended)',
    });
  if (users.length > 0 && embedded.anonymous === true)
    problems.push({
      path: 'mqtt/embedded/anonymous',
      message: 'anonymous: true and users exclude each other: with users, every client must log in',
    });
  problems.push(...loginListProblems(users, 'mqtt/embedded/users', 'MQTT_PASSWORD'));
  return problems;
}
