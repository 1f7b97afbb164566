import type { Logger } from 'pino';
import type { MqttConfig } from '../../sources/mqtt/mqtt-config.js';
import type { AssetHealth } from '../../status/asset-health.js';
import type { SparkplugPublishConfig } from './sparkplug-node-config.js';

/**
 * Starts the edge node when `sparkplug.publish` is set and returns its stop step (one that does
 * nothing when the section is absent). The Sparkplug codec (protobufjs) is loaded only then: some
 * 10 MB that an agent without Sparkplug does not carry.
 */
export async function startSparkplugNodeSink(
  config: { dataDir: string; mqtt: MqttConfig; sparkplug: { publish?: SparkplugPublishConfig } },
  agentBrokerUrl: string,
  assets: () => AssetHealth[],
  logger: Logger,
): Promise<() => Promise<void>> {
  const publish = config.sparkplug.publish;
  if (!publish) return async () => undefined;
  const { startSparkplugNode } = await import('./sparkplug-node.js');
  return startSparkplugNode(
    { ...config, sparkplug: { ...config.sparkplug, publish } },
    agentBrokerUrl,
    assets,
    logger,
  );
}
