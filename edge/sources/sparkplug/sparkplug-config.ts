import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId } from '../../../shared/schema/index.js';
import { Duration, durationMs } from '../../../shared/duration.js';
import { withoutCredentials } from '../mqtt/mqtt-config.js';
import {
  SparkplugPublishSection,
  type SparkplugPublishConfig,
  resolveSparkplugPublish,
  sparkplugPublishProblems,
} from '../../sinks/sparkplug-node/sparkplug-node-config.js';

/**
 * A Sparkplug id (group, edge node, device): one topic level, so no `/`, `+`, `#`. The spec allows
 * more characters than this; these are the ones plants use and the ones safe in logs and metrics.
 */
const SparkplugId = Type.String({
  pattern: '^[A-Za-z0-9_.:-]{1,64}$',
  description: 'Sparkplug id (letters, digits, _ . : -)',
});
const BrokerUrl = Type.String({
  pattern: '^(mqtts?|wss?|tcp)://',
  description: "broker url like mqtt://broker:1883 (default: the agent's MQTT broker)",
});

/** One Sparkplug metric and the asset channel its values become. */
export const SparkplugMapping = Type.Object(
  {
    /** Default: any of the configured groups. */
    group: Type.Optional(SparkplugId),
    edgeNode: SparkplugId,
    /** Absent: a metric of the edge node itself (NBIRTH/NDATA). */
    device: Type.Optional(SparkplugId),
    /** The metric's name as its birth certificate gives it, e.g. `Bearing/Temperature`. */
    metric: Type.String({ minLength: 1, maxLength: 256 }),
    assetId: AssetId,
    channel: ChannelId,
    /** Default: the metric's `engUnit` property, else `1`. */
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type SparkplugMapping = Static<typeof SparkplugMapping>;

/** The `sparkplug:` section of the edge config: reading Sparkplug edge nodes, publishing as one. */
export const SparkplugSection = Type.Object(
  {
    consume: Type.Optional(
      Type.Object(
        {
          brokerUrl: Type.Optional(BrokerUrl),
          groups: Type.Array(SparkplugId, { minItems: 1 }),
          map: Type.Array(SparkplugMapping),
          /** A node asked for a rebirth is not asked again within this (default 5s). */
          rebirthInterval: Type.Optional(Duration),
          /** Sparkplug 3.0 primary host id: the agent publishes `spBv1.0/STATE/<id>` (checked below). */
          primaryHostId: Type.Optional(Type.String({ description: 'Sparkplug primary host id' })),
        },
        { additionalProperties: false },
      ),
    ),
    /** The agent as a Sparkplug edge node; see edge/sinks/sparkplug-node/README.md. */
    publish: Type.Optional(SparkplugPublishSection),
  },
  { additionalProperties: false },
);
export type SparkplugSection = Static<typeof SparkplugSection>;

export interface SparkplugConsumeConfig {
  /** Undefined: the agent's MQTT broker, with the agent's login. */
  brokerUrl?: string;
  groups: string[];
  map: SparkplugMapping[];
  rebirthIntervalMs: number;
  /** Set: the agent is these edge nodes' primary host application (STATE birth and will). */
  primaryHostId?: string;
}

/** The section with its defaults; a part not configured is undefined (not run). */
export interface SparkplugConfig {
  consume?: SparkplugConsumeConfig;
  publish?: SparkplugPublishConfig;
}

export function resolveSparkplugConfig(
  section: SparkplugSection | undefined,
  gatewayId: string,
): SparkplugConfig {
  const { consume, publish } = section ?? {};
  return {
    ...(consume
      ? {
          consume: {
            ...(consume.brokerUrl ? { brokerUrl: consume.brokerUrl } : {}),
            groups: consume.groups,
            map: consume.map,
            rebirthIntervalMs: durationMs(consume.rebirthInterval ?? '5s'),
            ...(consume.primaryHostId !== undefined ? { primaryHostId: consume.primaryHostId } : {}),
          },
        }
      : {}),
    ...(publish ? { publish: resolveSparkplugPublish(publish, gatewayId) } : {}),
  };
}

/**
 * What the schema cannot say: a mapping names a configured group, one metric feeds one channel, one
 * channel is fed by one metric; and the publishing side's checks.
 */
export function sparkplugSectionProblems(
  section: SparkplugSection | undefined,
  gatewayId: string,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const consume = section?.consume;
  const metrics = new Set<string>();
  const channels = new Set<string>();
  consume?.map.forEach((m, i) => {
    const at = `sparkplug/consume/map/${i}`;
    if (m.group !== undefined && !consume.groups.includes(m.group))
      problems.push({
        path: `${at}/group`,
        message: `group '${m.group}' is not in sparkplug.consume.groups (${consume.groups.join(', ')}); add it there`,
      });
    const metric = [m.group ?? '*', m.edgeNode, m.device ?? '', m.metric].join('/');
    if (metrics.has(metric))
      problems.push({
        path: `${at}/metric`,
        message: `metric '${m.metric}' of ${m.edgeNode} is mapped twice`,
      });
    metrics.add(metric);
    const channel = `${m.assetId}/${m.channel}`;
    if (channels.has(channel))
      problems.push({
        path: `${at}/channel`,
        message: `channel ${channel} is fed by two metrics: give each metric its own channel`,
      });
    channels.add(channel);
  });
  if (consume?.primaryHostId !== undefined) {
    const problem = primaryHostIdProblem(consume.primaryHostId);
    if (problem) problems.push({ path: 'sparkplug/consume/primaryHostId', message: problem });
  }
  problems.push(...sparkplugPublishProblems(section?.publish, gatewayId));
  return problems;
}

/**
 * The id is the last level of `spBv1.0/STATE/<id>` (Sparkplug 3.0 §4.2.3): a topic separator or a
 * wildcard would make the birth unpublishable and the edge nodes' subscription match other hosts.
 */
function primaryHostIdProblem(id: string): string | undefined {
  const hint = 'use the Primary Host ID the edge nodes are configured with, e.g. plantwatch';
  if (id.trim() === '') return `primaryHostId must not be empty: ${hint}`;
  const forbidden = ['/', '+', '#'].filter((c) => id.includes(c));
  if (forbidden.length > 0)
    return `primaryHostId '${id}' must not contain ${forbidden.map((c) => `'${c}'`).join(', ')}: it is one MQTT topic level (spBv1.0/STATE/<primaryHostId>); ${hint}`;
  if (id.length > 256) return `primaryHostId is ${id.length} characters long (at most 256): ${hint}`;
  return undefined;
}

/** The section as the config hash sees it: a login written into a broker URL left out. */
export function sparkplugWithoutSecrets(section: SparkplugSection | undefined): SparkplugSection | undefined {
  if (!section) return undefined;
  const { consume, publish } = section;
  const strip = <T extends { brokerUrl?: string }>(part: T): T =>
    part.brokerUrl ? { ...part, brokerUrl: withoutCredentials(part.brokerUrl) } : part;
  return {
    ...(consume ? { consume: strip(consume) } : {}),
    ...(publish ? { publish: strip(publish) } : {}),
  };
}
