import { type Static, Type } from '@sinclair/typebox';
import { Duration, durationMs } from '../../../shared/duration.js';

/** One topic level: no `/`, `+`, `#` (the characters plants use, safe in logs and metrics). */
const SPARKPLUG_ID = '^[A-Za-z0-9_.:-]{1,64}$';

/** `sparkplug.publish`: the agent as a Sparkplug edge node publishing its assets' health. */
export const SparkplugPublishSection = Type.Object(
  {
    brokerUrl: Type.Optional(
      Type.String({
        pattern: '^(mqtts?|wss?|tcp)://',
        description: "broker url like mqtt://broker:1883 (default: the agent's MQTT broker)",
      }),
    ),
    /** Default `plantwatch`. */
    group: Type.Optional(Type.String({ pattern: SPARKPLUG_ID, description: 'Sparkplug group id' })),
    /** Default: the gatewayId. */
    edgeNode: Type.Optional(Type.String({ pattern: SPARKPLUG_ID, description: 'Sparkplug edge node id' })),
    /** How often changed metrics are published as NDATA (default 5s). */
    interval: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export type SparkplugPublishSection = Static<typeof SparkplugPublishSection>;

export interface SparkplugPublishConfig {
  /** Undefined: the agent's MQTT broker, with the agent's login. */
  brokerUrl?: string;
  group: string;
  edgeNode: string;
  intervalMs: number;
}

export function resolveSparkplugPublish(
  publish: SparkplugPublishSection,
  gatewayId: string,
): SparkplugPublishConfig {
  return {
    ...(publish.brokerUrl ? { brokerUrl: publish.brokerUrl } : {}),
    group: publish.group ?? 'plantwatch',
    edgeNode: publish.edgeNode ?? gatewayId,
    intervalMs: durationMs(publish.interval ?? '5s'),
  };
}

/** An interval that is not a busy loop; a gatewayId that fits as an edge node id when it is used as one. */
export function sparkplugPublishProblems(
  publish: SparkplugPublishSection | undefined,
  gatewayId: string,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (publish?.interval !== undefined && durationMs(publish.interval) < 100)
    problems.push({
      path: 'sparkplug/publish/interval',
      message: `must be at least 100ms (got ${publish.interval})`,
    });
  if (publish && publish.edgeNode === undefined && !new RegExp(SPARKPLUG_ID).test(gatewayId))
    problems.push({
      path: 'sparkplug/publish/edgeNode',
      message: `the gatewayId '${gatewayId}' cannot be a Sparkplug edge node id: set edgeNode`,
    });
  return problems;
}
