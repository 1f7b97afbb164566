import { isAbsolute, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Duration, durationMs } from '../../../shared/duration.js';
import { loginListProblems } from '../../sources/mqtt/broker-logins.js';
import { isLoopback } from '../../sources/mqtt/embedded-broker-config.js';
import {
  SECURITY_MODES,
  SECURITY_POLICIES,
  type SecurityModeName,
  type SecurityPolicyName,
} from '../../sources/opcua/opcua-config.js';

export type ServerSecurityPolicyName = Exclude<SecurityPolicyName, 'None'>;
/** The policies a secure endpoint offers: the source's list, None being a mode here, not a policy. */
export const SERVER_SECURITY_POLICIES = SECURITY_POLICIES.filter(
  (p): p is ServerSecurityPolicyName => p !== 'None',
);

const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>(Type.Union(values.map((v) => Type.Literal(v))));

/** One login for the PLCs and SCADAs that read the agent's findings. */
const ServerUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    /** From the environment (`${OPCUA_SCADA_PASSWORD}`), never written in the file. */
    password: Type.Optional(Type.String({ minLength: 1 })),
    /** Instead of password: `sha256:<hex>` or `scrypt:<salt hex>:<key hex>`, as for the MQTT broker. */
    passwordHash: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** `opcuaServer`: the agent's condition monitoring served over OPC-UA; see this folder's README. */
export const OpcuaServerSection = Type.Object(
  {
    /** Default true once the section is there. */
    enabled: Type.Optional(Type.Boolean()),
    /** Default 127.0.0.1; any other address needs users and no None mode. */
    host: Type.Optional(Type.String({ minLength: 1 })),
    /** Default 4841 (4840 is the usual PLC and simulator port). */
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Default SignAndEncrypt only; None must be asked for. */
    securityModes: Type.Optional(Type.Array(literals(SECURITY_MODES), { minItems: 1, uniqueItems: true })),
    /** Policies of the Sign and SignAndEncrypt endpoints; default all three. */
    securityPolicies: Type.Optional(
      Type.Array(literals(SERVER_SECURITY_POLICIES), { minItems: 1, uniqueItems: true }),
    ),
    users: Type.Optional(Type.Array(ServerUser)),
    /** Default false: sessions must log in as one of the users. */
    allowAnonymous: Type.Optional(Type.Boolean()),
    /**
     * Default false: an unknown client certificate is refused and kept in `<pkiDir>/rejected` until
     * it is moved to `<pkiDir>/trusted/certs`.
     */
    trustUnknownClients: Type.Optional(Type.Boolean()),
    /** The server's own certificate and its trust lists; default `<dataDir>/pki/opcua-server`. */
    pkiDir: Type.Optional(Type.String({ minLength: 1 })),
    /** How often the values are brought up to date; default 1s. */
    interval: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export type OpcuaServerSection = Static<typeof OpcuaServerSection>;

export interface OpcuaServerUser {
  username: string;
  password?: string;
  passwordHash?: string;
}

/** `opcuaServer` with every default applied and paths absolute. */
export interface OpcuaServerConfig {
  enabled: boolean;
  host: string;
  port: number;
  securityModes: SecurityModeName[];
  securityPolicies: ServerSecurityPolicyName[];
  users: OpcuaServerUser[];
  allowAnonymous: boolean;
  trustUnknownClients: boolean;
  pkiDir: string;
  intervalMs: number;
}

export const DEFAULT_OPCUA_SERVER_PORT = 4841;
const MIN_INTERVAL_MS = 100;

export function resolveOpcuaServer(
  section: OpcuaServerSection | undefined,
  paths: { baseDir: string; dataDir: string },
): OpcuaServerConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(paths.baseDir, p));
  return {
    enabled: section !== undefined && (section.enabled ?? true),
    host: section?.host ?? '127.0.0.1',
    port: section?.port ?? DEFAULT_OPCUA_SERVER_PORT,
    securityModes: section?.securityModes ?? ['SignAndEncrypt'],
    securityPolicies: section?.securityPolicies ?? [...SERVER_SECURITY_POLICIES],
    users: section?.users ?? [],
    allowAnonymous: section?.allowAnonymous ?? false,
    trustUnknownClients: section?.trustUnknownClients ?? false,
    pkiDir: section?.pkiDir ? path(section.pkiDir) : resolve(paths.dataDir, 'pki', 'opcua-server'),
    intervalMs: durationMs(section?.interval ?? '1s'),
  };
}

/**
 * What the schema cannot say: somebody must be able to log in; a server reachable from the plant
 * network needs logins and no unsecured mode; each login has exactly one of password and hash.
 */
export function opcuaServerProblems(
  section: OpcuaServerSection | undefined,
): { path: string; message: string }[] {
  if (!section || section.enabled === false) return [];
  const problems: { path: string; message: string }[] = [];
  const users = section.users ?? [];
  const host = section.host ?? '127.0.0.1';
  const exposed = !isLoopback(host);
  if (exposed && users.length === 0)
    problems.push({
      path: 'opcuaServer/users',
      message:
        `the OPC-UA server listens on ${host}, beyond this host, without logins: list the SCADA's and ` +
        "PLCs' logins in opcuaServer.users (username, password: ${ENV_VAR}), or set host: 127.0.0.1",
    });
  else if (users.length === 0 && section.allowAnonymous !== true)
    problems.push({
      path: 'opcuaServer/users',
      message:
        'nobody could log in to the OPC-UA server: list logins in opcuaServer.users (username, ' +
        'password: ${ENV_VAR}), or set opcuaServer.allowAnonymous: true (loopback only)',
    });
  if (exposed && section.securityModes?.includes('None'))
    problems.push({
      path: 'opcuaServer/securityModes',
      message:
        `securityMode None on ${host} sends logins and values unprotected over the plant network: ` +
        'remove None (clients connect with SignAndEncrypt), or set host: 127.0.0.1',
    });
  if (section.interval !== undefined && durationMs(section.interval) < MIN_INTERVAL_MS)
    problems.push({
      path: 'opcuaServer/interval',
      message: `must be at least ${MIN_INTERVAL_MS}ms (got ${section.interval}): the health is not recomputed faster`,
    });
  problems.push(...loginListProblems(users, 'opcuaServer/users', 'OPCUA_PASSWORD'));
  return problems;
}
