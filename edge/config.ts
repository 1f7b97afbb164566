import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { defaultRulesDir } from '../shared/paths.js';
import { Asset, DEFAULT_SLA_HOURS, GatewayId, SEVERITIES, type Severity } from '../shared/schema/index.js';
import { FileError, readYamlFile } from '../shared/yaml-file.js';
import { Duration, durationMs } from '../shared/duration.js';
import { BEARING_CATALOG, catalogBearing } from '../shared/bearings.js';
import {
  type MqttConfig,
  MqttSection,
  mqttSectionProblems,
  resolveMqttConfig,
} from './sources/mqtt/mqtt-config.js';
import { DEFAULT_TIME_WINDOW, type TimeWindow } from './sources/plausible-time.js';
import {
  OpcuaEndpoint,
  type OpcuaEndpointConfig,
  heldValueProblems,
  opcuaEndpointProblems,
  resolveOpcuaEndpoint,
} from './sources/opcua/opcua-config.js';
import {
  type SparkplugConfig,
  SparkplugSection,
  resolveSparkplugConfig,
  sparkplugSectionProblems,
  sparkplugWithoutSecrets,
} from './sources/sparkplug/sparkplug-config.js';
import {
  ModbusDevice,
  type ModbusDeviceConfig,
  modbusDeviceProblems,
  resolveModbusDevice,
} from './sources/modbus/modbus-config.js';
import {
  type OpcuaServerConfig,
  OpcuaServerSection,
  opcuaServerProblems,
  resolveOpcuaServer,
} from './sinks/opcua-server/opcua-server-config.js';

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
      Type.Object(
        {
          host: Type.Optional(Host),
          port: Type.Optional(Port),
          /** Bearer token for /metrics, /api/v1/status and the outbox routes (`${STATUS_TOKEN}`). */
          token: Type.Optional(Type.String({ minLength: 16 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** The broker the sensors publish to; see edge/sources/mqtt/README.md. */
    mqtt: Type.Optional(MqttSection),
    /** OPC-UA servers (PLCs, CNCs) to read from; see edge/sources/opcua/README.md. */
    opcua: Type.Optional(Type.Array(OpcuaEndpoint)),
    /** Sparkplug B: edge nodes to read, and the agent as one; see edge/sources/sparkplug/README.md. */
    sparkplug: Type.Optional(SparkplugSection),
    /** Modbus TCP devices (drives, meters, legacy PLCs) to poll; see edge/sources/modbus/README.md. */
    modbus: Type.Optional(Type.Array(ModbusDevice)),
    /** The agent's findings served to PLCs and SCADAs over OPC-UA; see edge/sinks/opcua-server/README.md. */
    opcuaServer: Type.Optional(OpcuaServerSection),
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
        /** gzip batches (default) or send them as they are. */
        compress: Type.Optional(Type.Union([Type.Literal('gzip'), Type.Literal('none')])),
        /** Backlog events per second at most after an outage (default: as fast as the cloud takes them). */
        backlogRate: Type.Optional(Type.Integer({ minimum: 1 })),
        /**
         * Attempts before an event the cloud refuses for its content is set aside (a dead letter,
         * kept in the outbox; `plantwatch outbox resend` requeues it), so the events behind it go on.
         */
        maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      },
      { additionalProperties: false },
    ),
    outbox: Type.Optional(
      Type.Object(
        {
          /** Disk budget for buffered ticket events; acknowledged ones make room, unacknowledged never. */
          maxSizeMb: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Feature summaries sent to the cloud for trends; see edge/telemetry/README.md. */
    telemetry: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          /** Each asset channel's features are averaged over this interval: one point per interval. */
          interval: Type.Optional(Duration),
          /** Disk budget for summaries waiting for the cloud; old ones are thinned, then dropped. */
          maxSizeMb: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          batchMaxPoints: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
        },
        { additionalProperties: false },
      ),
    ),
    tickets: Type.Optional(
      Type.Object(
        {
          updateInterval: Type.Optional(Duration),
          /** Time to deal with a ticket, per severity: the site's service levels. */
          sla: Type.Optional(
            Type.Object(Object.fromEntries(SEVERITIES.map((s) => [s, Type.Optional(Duration)])), {
              additionalProperties: false,
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    assets: Type.Optional(Type.Array(Asset)),
    /** Where waveforms are analysed and how many may wait; see README.md ("Waveform analysis on the gateway"). */
    analysis: Type.Optional(
      Type.Object(
        {
          /** Worker threads; 0 analyses on the event loop. Default: cores − 1, at least 1, at most 4. */
          workers: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
          /** Waveforms of one channel that may wait behind its running analysis (default 16). */
          queuePerChannel: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
          /** Waveforms that may wait over all channels (default 256). */
          queueTotal: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** What the sources accept as a measurement's own timestamp; see edge/sources/README.md. */
    input: Type.Optional(
      Type.Object(
        {
          /** How far ahead of the gateway's clock a sender's timestamp may be (default 1d). */
          maxFutureSkew: Type.Optional(Duration),
          /** Timestamps before this date are refused (default 2000-01-01). */
          earliest: Type.Optional(
            Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'date like 2000-01-01' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    rules: Type.Optional(
      Type.Object(
        {
          /** A reading older than this no longer counts in a condition (unknown, not false). */
          staleAfter: Type.Optional(Duration),
          /** How long a baseline learns before rules may compare against it. */
          baselineLearn: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type EdgeConfigFile = Static<typeof EdgeConfigFile>;

/** The link to the cloud, shared by ticket replication and telemetry. */
export interface CloudConfig {
  url: string;
  token: string;
  batchMaxEvents: number;
  batchMaxBytes: number;
  retryInitialMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  compress: boolean;
  backlogEventsPerSecond?: number;
  /** Refusals of an event for its content before it is set aside. */
  maxAttempts: number;
}

/** The config with every default applied and every path absolute. */
export interface EdgeConfig {
  gatewayId: string;
  site: string;
  dataDir: string;
  rulesDir: string;
  /** token: what the status port's routes other than /healthz require, when set. */
  http: { host: string; port: number; token?: string };
  mqtt: MqttConfig;
  opcua: OpcuaEndpointConfig[];
  sparkplug: SparkplugConfig;
  modbus: ModbusDeviceConfig[];
  opcuaServer: OpcuaServerConfig;
  cloud: CloudConfig;
  outbox: { maxBytes: number };
  telemetry: { enabled: boolean; intervalMs: number; maxBytes: number; batchMaxPoints: number };
  tickets: { updateIntervalMs: number; slaMs: Record<Severity, number> };
  assets: Asset[];
  analysis: { workers: number; queue: { perChannel: number; total: number } };
  /** The window a measurement's own timestamp must fall in. */
  input: TimeWindow;
  rules: { staleAfterMs: number; baselineLearnMs: number };
  /** Hash of the effective configuration, without secrets: tickets carry it as evidence. */
  configHash: string;
}

const DEFAULT_STALE_AFTER = '60s';

/** Defaults in the spirit of common CMMS practice: critical same shift, high within days. */

export function resolveEdgeConfig(file: EdgeConfigFile, baseDir: string): EdgeConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const dataDir = path(file.dataDir ?? '.plantwatch/edge');
  return {
    gatewayId: file.gatewayId,
    site: file.site,
    dataDir,
    rulesDir: file.rulesDir ? path(file.rulesDir) : defaultRulesDir(),
    http: {
      host: file.http?.host ?? '127.0.0.1',
      port: file.http?.port ?? 8081,
      ...(file.http?.token ? { token: file.http.token } : {}),
    },
    mqtt: resolveMqttConfig(file.mqtt, baseDir),
    opcua: (file.opcua ?? []).map((endpoint) =>
      resolveOpcuaEndpoint(
        endpoint,
        { baseDir, dataDir },
        durationMs(file.rules?.staleAfter ?? DEFAULT_STALE_AFTER),
      ),
    ),
    sparkplug: resolveSparkplugConfig(file.sparkplug, file.gatewayId),
    modbus: (file.modbus ?? []).map(resolveModbusDevice),
    opcuaServer: resolveOpcuaServer(file.opcuaServer, { baseDir, dataDir }),
    cloud: {
      url: file.cloud.url,
      token: file.cloud.token,
      // The ingest contract's maximum: a backlog drains in as few requests (and fsyncs) as it can.
      batchMaxEvents: file.cloud.batchMaxEvents ?? 500,
      batchMaxBytes: file.cloud.batchMaxBytes ?? 512 * 1024,
      retryInitialMs: durationMs(file.cloud.retryInitial ?? '500ms'),
      retryMaxMs: durationMs(file.cloud.retryMax ?? '60s'),
      requestTimeoutMs: durationMs(file.cloud.requestTimeout ?? '15s'),
      compress: (file.cloud.compress ?? 'gzip') === 'gzip',
      ...(file.cloud.backlogRate ? { backlogEventsPerSecond: file.cloud.backlogRate } : {}),
      maxAttempts: file.cloud.maxAttempts ?? 5,
    },
    outbox: { maxBytes: (file.outbox?.maxSizeMb ?? 1024) * 1024 * 1024 },
    telemetry: {
      enabled: file.telemetry?.enabled ?? true,
      intervalMs: durationMs(file.telemetry?.interval ?? '10s'),
      maxBytes: (file.telemetry?.maxSizeMb ?? 256) * 1024 * 1024,
      batchMaxPoints: file.telemetry?.batchMaxPoints ?? 1000,
    },
    tickets: {
      updateIntervalMs: durationMs(file.tickets?.updateInterval ?? '60s'),
      slaMs: Object.fromEntries(
        SEVERITIES.map((s) => [s, durationMs(file.tickets?.sla?.[s] ?? `${DEFAULT_SLA_HOURS[s]}h`)]),
      ) as Record<Severity, number>,
    },
    assets: file.assets ?? [],
    analysis: {
      workers: file.analysis?.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1)),
      queue: { perChannel: file.analysis?.queuePerChannel ?? 16, total: file.analysis?.queueTotal ?? 256 },
    },
    input: {
      maxFutureSkewMs: file.input?.maxFutureSkew
        ? durationMs(file.input.maxFutureSkew)
        : DEFAULT_TIME_WINDOW.maxFutureSkewMs,
      earliestMs: file.input?.earliest ? Date.parse(file.input.earliest) : DEFAULT_TIME_WINDOW.earliestMs,
    },
    rules: {
      staleAfterMs: durationMs(file.rules?.staleAfter ?? DEFAULT_STALE_AFTER),
      baselineLearnMs: durationMs(file.rules?.baselineLearn ?? '1h'),
    },
    configHash: configHash(file),
  };
}

function configHash(file: EdgeConfigFile): string {
  const { cloud, mqtt, opcua, http, opcuaServer, ...rest } = file;
  const users = mqtt?.embedded?.users?.map((user) => ({
    ...user,
    password: undefined,
    passwordHash: undefined,
  }));
  const withoutSecrets = {
    ...rest,
    http: http ? { ...http, token: undefined } : undefined,
    cloud: { ...cloud, token: undefined },
    mqtt: mqtt
      ? { ...mqtt, password: undefined, ...(mqtt.embedded ? { embedded: { ...mqtt.embedded, users } } : {}) }
      : undefined,
    opcua: opcua?.map((endpoint) => ({ ...endpoint, password: undefined })),
    sparkplug: sparkplugWithoutSecrets(rest.sparkplug),
    opcuaServer: opcuaServer
      ? {
          ...opcuaServer,
          users: opcuaServer.users?.map((u) => ({ ...u, password: undefined, passwordHash: undefined })),
        }
      : undefined,
  };
  return createHash('sha256').update(JSON.stringify(withoutSecrets)).digest('hex').slice(0, 16);
}

/** What the schema cannot say: ids unique, bearings in the catalog, speed ranges in order. */
function assetProblems(assets: Asset[]): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  assets.forEach((asset, index) => {
    if (seen.has(asset.id))
      problems.push({ path: `assets/${index}/id`, message: `duplicate asset id '${asset.id}'` });
    seen.add(asset.id);
    const range = asset.rpmRange;
    if (range && range.min > range.max)
      problems.push({
        path: `assets/${index}/rpmRange`,
        message: `min ${range.min} is above max ${range.max}: give the lower speed as min`,
      });
    if (range && asset.rpm !== undefined && (asset.rpm < range.min || asset.rpm > range.max))
      problems.push({
        path: `assets/${index}/rpm`,
        message: `nominal ${asset.rpm} rpm lies outside rpmRange ${range.min}-${range.max}`,
      });
    if (typeof asset.bearing === 'string') {
      try {
        catalogBearing(asset.bearing);
      } catch {
        problems.push({
          path: `assets/${index}/bearing`,
          message:
            `unknown bearing '${asset.bearing}'; the catalog has ${BEARING_CATALOG.map((b) => b.id).join(', ')}, ` +
            'or give the defect multiples as { bpfo, bpfi, bsf, ftf }',
        });
      }
    }
  });
  return problems;
}

/** A summary interval shorter than a second sends more points than the raw features would save. */
function telemetryProblems(telemetry: EdgeConfigFile['telemetry']): { path: string; message: string }[] {
  if (telemetry?.interval === undefined || durationMs(telemetry.interval) >= 1000) return [];
  return [{ path: 'telemetry/interval', message: `must be at least 1s (got ${telemetry.interval})` }];
}

/** A date the pattern lets through but the calendar does not have (2000-13-45). */
function inputProblems(input: EdgeConfigFile['input']): { path: string; message: string }[] {
  const earliest = input?.earliest;
  if (earliest === undefined) return [];
  const ms = Date.parse(earliest);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== earliest)
    return [
      { path: 'input/earliest', message: `'${earliest}' is not a calendar date; write it like 2000-01-01` },
    ];
  if (ms > Date.now())
    return [
      { path: 'input/earliest', message: `${earliest} is in the future: every measurement would be refused` },
    ];
  return [];
}

/** Each OPC-UA-fed asset channel and the node feeding it: a Modbus register may not feed it too. */
const opcuaChannels = (endpoints: OpcuaEndpoint[]): Map<string, string> =>
  new Map(
    endpoints.flatMap((endpoint, e) =>
      endpoint.nodes.map((node, n) => [`${node.assetId}/${node.channel}`, `opcua/${e}/nodes/${n}`] as const),
    ),
  );

export function loadEdgeConfig(file: string): EdgeConfig {
  const parsed = readYamlFile(file, EdgeConfigFile, { env: true });
  const problems = [
    ...assetProblems(parsed.value.assets ?? []),
    ...telemetryProblems(parsed.value.telemetry),
    ...inputProblems(parsed.value.input),
    ...mqttSectionProblems(parsed.value.mqtt),
    ...opcuaEndpointProblems(parsed.value.opcua ?? [], ['mqtt', 'sparkplug']),
    ...sparkplugSectionProblems(parsed.value.sparkplug, parsed.value.gatewayId),
    ...modbusDeviceProblems(
      parsed.value.modbus ?? [],
      ['mqtt', 'sparkplug', ...(parsed.value.opcua ?? []).map((endpoint) => endpoint.id)],
      opcuaChannels(parsed.value.opcua ?? []),
    ),
    ...opcuaServerProblems(parsed.value.opcuaServer),
    ...heldValueProblems(
      parsed.value.opcua ?? [],
      durationMs(parsed.value.rules?.staleAfter ?? DEFAULT_STALE_AFTER),
    ),
  ].map(({ path, message }) => ({
    file,
    line: parsed.lineOf(path),
    field: path,
    message,
  }));
  if (problems.length > 0) throw new FileError(problems);
  return resolveEdgeConfig(parsed.value, dirname(resolve(file)));
}
