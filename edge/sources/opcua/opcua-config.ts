import { isAbsolute, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { AccelerationUnit, AssetId, ChannelId } from '../../../shared/schema/index.js';
import { Duration, durationMs } from '../../../shared/duration.js';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];
/** Basic128Rsa15 and Basic256 are deprecated by the OPC Foundation (SHA-1), so they are not offered. */
export const SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];

/**
 * The string form of a node id (OPC-UA Part 6, 5.3.1.10): a namespace index or URI, then a numeric,
 * string, GUID or opaque identifier. Checked here without node-opcua, so reading a config stays fast.
 */
const NODE_ID =
  /^(ns=[0-9]+;|nsu=[^;]+;)?(i=[0-9]+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$/s;

const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>(Type.Union(values.map((v) => Type.Literal(v))));

/** One OPC-UA variable and where its values go. */
export const OpcuaNodeMapping = Type.Object(
  {
    nodeId: Type.Optional(
      Type.String({ minLength: 3, description: 'node id like ns=1;s=Machine.Temperature' }),
    ),
    /** Resolved on the server at each connection, so it survives node ids that change between restarts. */
    browsePath: Type.Optional(
      Type.String({
        pattern: '^/Objects(/[0-9]+:[^/]+)+$',
        description: 'browse path like /Objects/1:Machines/1:cnc-1/1:SpindleTemperature',
      }),
    ),
    assetId: AssetId,
    channel: ChannelId,
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    samplingInterval: Type.Optional(Duration),
    queueSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    deadband: Type.Optional(
      Type.Object(
        { type: literals(['absolute', 'percent'] as const), value: Type.Number({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
    /**
     * A steady value is held current while the server is alive; a node that must change at least this
     * often (a counter, a value that always has noise) is taken as frozen after this long unchanged.
     */
    maxSilence: Type.Optional(Duration),
    /** An array variable holding a vibration buffer: delivered as a waveform instead of readings. */
    waveform: Type.Optional(
      Type.Object(
        { sampleRateHz: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }), unit: AccelerationUnit },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type OpcuaNodeMapping = Static<typeof OpcuaNodeMapping>;

export const OpcuaEndpoint = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'endpoint id' }),
    url: Type.String({ pattern: '^opc\\.tcp://', description: 'URL like opc.tcp://plc-7:4840' }),
    securityMode: Type.Optional(literals(SECURITY_MODES)),
    securityPolicy: Type.Optional(literals(SECURITY_POLICIES)),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    /** X.509 user identity: a PEM certificate and its private key. */
    userCertificate: Type.Optional(Type.String({ minLength: 1 })),
    userPrivateKey: Type.Optional(Type.String({ minLength: 1 })),
    /** The client's own certificate and its trust lists; created on first start. */
    pkiDir: Type.Optional(Type.String({ minLength: 1 })),
    /** `poll` reads every node each pollInterval, for servers without subscriptions. */
    mode: Type.Optional(literals(['subscribe', 'poll'] as const)),
    publishingInterval: Type.Optional(Duration),
    pollInterval: Type.Optional(Duration),
    /** Re-create the subscription when no value at all arrived for this long; `off` for static tags. */
    silentAfter: Type.Optional(Type.Union([Duration, Type.Literal('off')])),
    reconnectMaxDelay: Type.Optional(Duration),
    nodes: Type.Array(OpcuaNodeMapping, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type OpcuaEndpoint = Static<typeof OpcuaEndpoint>;

export interface OpcuaNodeConfig {
  /** Exactly one of the two is set. */
  nodeId?: string;
  browsePath?: string;
  assetId: string;
  channel: string;
  unit: string;
  samplingIntervalMs: number;
  queueSize: number;
  deadband?: { type: 'absolute' | 'percent'; value: number };
  waveform?: { sampleRateHz: number; unit: 'g' | 'm/s2' };
  /** Unset: held current for as long as the server is alive. */
  maxSilenceMs?: number;
}

/** An endpoint with every default applied and every path absolute. */
export interface OpcuaEndpointConfig {
  id: string;
  url: string;
  securityMode: SecurityModeName;
  securityPolicy: SecurityPolicyName;
  user?: { username: string; password: string } | { certificateFile: string; privateKeyFile: string };
  pkiDir: string;
  mode: 'subscribe' | 'poll';
  publishingIntervalMs: number;
  /** Empty publishing intervals before a keep-alive: {@link keepAliveCountFor}. */
  keepAliveCount: number;
  pollIntervalMs: number;
  /** Undefined when the data watchdog is off. */
  silentAfterMs?: number;
  reconnect: { initialMs: number; maxMs: number };
  nodes: OpcuaNodeConfig[];
}

const DEFAULT_PUBLISHING_INTERVAL = '500ms';

/** The server sends a keep-alive after this many empty publishing intervals (OPC-UA Part 4, 5.13.1). */
export const MAX_KEEP_ALIVE_COUNT = 10;

/**
 * How many empty publishing intervals the server may wait before its keep-alive. A steady value is
 * confirmed once per keep-alive period and must be confirmed twice within `rules.staleAfter` (one
 * period of slack), so a short `staleAfter` asks for a shorter period rather than being refused:
 * configs that loaded before held values keep loading.
 */
export function keepAliveCountFor(publishingIntervalMs: number, staleAfterMs: number): number {
  return Math.max(1, Math.min(MAX_KEEP_ALIVE_COUNT, Math.floor(staleAfterMs / (2.5 * publishingIntervalMs))));
}

/** The longest a live subscription stays quiet: a steady value is confirmed at least this often. */
export const keepAlivePeriodMs = (endpoint: {
  publishingIntervalMs: number;
  keepAliveCount: number;
}): number => endpoint.publishingIntervalMs * endpoint.keepAliveCount;

/**
 * The server is back within 5 s of a restart only if the wait between attempts stays short; 2 s
 * keeps the worst case at one wait plus a secure handshake.
 */
const DEFAULT_RECONNECT_MAX = '2s';

export function resolveOpcuaEndpoint(
  endpoint: OpcuaEndpoint,
  paths: { baseDir: string; dataDir: string },
  staleAfterMs = Number.POSITIVE_INFINITY,
): OpcuaEndpointConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(paths.baseDir, p));
  const securityMode = endpoint.securityMode ?? 'None';
  const publishingIntervalMs = durationMs(endpoint.publishingInterval ?? DEFAULT_PUBLISHING_INTERVAL);
  const user =
    endpoint.username !== undefined
      ? { username: endpoint.username, password: endpoint.password ?? '' }
      : endpoint.userCertificate && endpoint.userPrivateKey
        ? { certificateFile: path(endpoint.userCertificate), privateKeyFile: path(endpoint.userPrivateKey) }
        : undefined;
  const silentAfter = endpoint.silentAfter ?? '30s';
  return {
    id: endpoint.id,
    url: endpoint.url,
    securityMode,
    securityPolicy: endpoint.securityPolicy ?? (securityMode === 'None' ? 'None' : 'Basic256Sha256'),
    ...(user ? { user } : {}),
    pkiDir: endpoint.pkiDir ? path(endpoint.pkiDir) : resolve(paths.dataDir, 'pki', 'opcua'),
    mode: endpoint.mode ?? 'subscribe',
    publishingIntervalMs,
    keepAliveCount: keepAliveCountFor(publishingIntervalMs, staleAfterMs),
    pollIntervalMs: durationMs(endpoint.pollInterval ?? '1s'),
    ...(silentAfter === 'off' ? {} : { silentAfterMs: durationMs(silentAfter) }),
    reconnect: { initialMs: 250, maxMs: durationMs(endpoint.reconnectMaxDelay ?? DEFAULT_RECONNECT_MAX) },
    nodes: endpoint.nodes.map((node) => ({
      ...(node.nodeId ? { nodeId: node.nodeId } : {}),
      ...(node.browsePath ? { browsePath: node.browsePath } : {}),
      assetId: node.assetId,
      channel: node.channel,
      unit: node.unit ?? node.waveform?.unit ?? '1',
      samplingIntervalMs: node.samplingInterval ? durationMs(node.samplingInterval) : publishingIntervalMs,
      queueSize: node.queueSize ?? 10,
      ...(node.deadband ? { deadband: node.deadband } : {}),
      ...(node.waveform ? { waveform: node.waveform } : {}),
      ...(node.maxSilence ? { maxSilenceMs: durationMs(node.maxSilence) } : {}),
    })),
  };
}

/** What the schema cannot say, with the path of the offending field. */
export function opcuaEndpointProblems(
  endpoints: OpcuaEndpoint[],
  reservedIds: readonly string[],
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const ids = new Set(reservedIds);
  const targets = new Map<string, string>();
  endpoints.forEach((endpoint, e) => {
    const at = `opcua/${e}`;
    if (ids.has(endpoint.id))
      problems.push({ path: `${at}/id`, message: `source id '${endpoint.id}' is already used` });
    ids.add(endpoint.id);
    const mode = endpoint.securityMode ?? 'None';
    const policy = endpoint.securityPolicy;
    if (mode === 'None' && policy && policy !== 'None')
      problems.push({
        path: `${at}/securityPolicy`,
        message: `securityMode None takes no policy (got ${policy}); set securityMode: SignAndEncrypt to use it`,
      });
    if (mode !== 'None' && policy === 'None')
      problems.push({
        path: `${at}/securityPolicy`,
        message: `securityMode ${mode} needs a policy: one of ${SECURITY_POLICIES.filter((p) => p !== 'None').join(', ')}`,
      });
    if (endpoint.password !== undefined && endpoint.username === undefined)
      problems.push({ path: `${at}/password`, message: 'a password needs a username' });
    if (Boolean(endpoint.userCertificate) !== Boolean(endpoint.userPrivateKey))
      problems.push({
        path: `${at}/${endpoint.userCertificate ? 'userPrivateKey' : 'userCertificate'}`,
        message: 'certificate login needs both userCertificate and userPrivateKey',
      });
    if (endpoint.username !== undefined && endpoint.userCertificate)
      problems.push({
        path: `${at}/userCertificate`,
        message: 'use either username/password or a certificate',
      });
    endpoint.nodes.forEach((node, n) => {
      const nodeAt = `${at}/nodes/${n}`;
      if (Boolean(node.nodeId) === Boolean(node.browsePath)) {
        problems.push({ path: nodeAt, message: 'give exactly one of nodeId and browsePath' });
      } else if (node.nodeId) {
        if (!NODE_ID.test(node.nodeId)) {
          problems.push({
            path: `${nodeAt}/nodeId`,
            message: `'${node.nodeId}' is not a node id; write it like ns=1;s=Machine.Temperature or ns=2;i=1042`,
          });
        }
      }
      const target = `${node.assetId}/${node.channel}`;
      const previous = targets.get(target);
      if (previous)
        problems.push({
          path: `${nodeAt}/channel`,
          message: `asset ${node.assetId} channel ${node.channel} is already fed by ${previous}`,
        });
      targets.set(target, nodeAt);
    });
  });
  return problems;
}

/**
 * A steady value is confirmed at least once per publishing interval (keep-alive count 1), plus one
 * interval of slack: a `rules.staleAfter` shorter than that would let it flicker to unknown.
 */
export function heldValueProblems(
  endpoints: OpcuaEndpoint[],
  staleAfterMs: number,
): { path: string; message: string }[] {
  return endpoints.flatMap((endpoint, e) => {
    if ((endpoint.mode ?? 'subscribe') !== 'subscribe') return [];
    const intervalMs = durationMs(endpoint.publishingInterval ?? DEFAULT_PUBLISHING_INTERVAL);
    if (staleAfterMs > 2 * intervalMs) return [];
    return [
      {
        path: `opcua/${e}/publishingInterval`,
        message: `a steady value is confirmed at best once per publishing interval (${intervalMs / 1000} s), so rules.staleAfter (${staleAfterMs / 1000} s) must be longer than ${(2 * intervalMs) / 1000} s; shorten publishingInterval or lengthen rules.staleAfter`,
      },
    ];
  });
}
