import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AssetHealth } from '../../status/asset-health.js';
import type { MqttConfig } from '../../sources/mqtt/mqtt-config.js';
import { withoutCredentials } from '../../sources/mqtt/mqtt-config.js';
import { brokerConnectOptions, describeMqttError } from '../../sources/mqtt/mqtt-connection.js';
import { decodeSparkplug, encodeSparkplug } from '../../sources/sparkplug/sparkplug-payload.js';
import { type MessageType, sparkplugTopic } from '../../sources/sparkplug/sparkplug-topic.js';
import { nextBdSeq } from './bd-seq.js';
import { asksRebirth } from './node-command.js';
import { assetMetrics } from './node-metrics.js';
import { NodePublication, type PublishedMetric, REBIRTH_METRIC } from './node-publication.js';
import type { SparkplugPublishConfig } from './sparkplug-node-config.js';

export interface SparkplugNodeOptions {
  config: SparkplugPublishConfig;
  brokerUrl: string;
  /** Login and TLS material when it is the agent's broker. */
  connection?: IClientOptions;
  /** Where the bdSeq of the next session is kept (a small JSON file in the data dir). */
  bdSeqFile: string;
  /** The assets' health now (`assetHealthOf`). */
  assets: () => AssetHealth[];
  logger: Logger;
}

const RECONNECT_PERIOD_MS = 1000;
/** How long a clean stop waits for its NDEATH to reach the broker. */
const DEATH_TIMEOUT_MS = 2000;

/**
 * The agent as a Sparkplug B edge node: an NBIRTH with every asset's health on each connection,
 * NDATA with what changed every interval, a new NBIRTH when asked (NCMD Node Control/Rebirth) or
 * when a new asset or finding appears, and an NDEATH with the session's bdSeq as the MQTT will (a
 * crash, a lost link) or published on a clean stop. The broker being down never blocks the agent:
 * mqtt.js keeps trying and the node is born when it connects.
 */
export class SparkplugNode {
  private client?: MqttClient;
  private timer?: NodeJS.Timeout;
  private bdSeq = 0;
  /** Born in the current MQTT session: a reconnection after it starts a new bdSeq. */
  private born = false;
  private readonly publication = new NodePublication();
  private lastError?: string;

  constructor(private readonly options: SparkplugNodeOptions) {}

  start(): void {
    const { config, brokerUrl, connection, logger } = this.options;
    const url = withoutCredentials(brokerUrl);
    this.bdSeq = this.takeBdSeq();
    const client = mqtt.connect(brokerUrl, {
      ...connection,
      clientId: `plantwatch-sparkplug-node-${config.edgeNode}`,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      connectTimeout: 10_000,
      clean: true,
      will: this.will(),
      // Births and data are stale once the link is back: a new birth is sent instead.
      queueQoSZero: false,
    });
    this.client = client;
    client.on('connect', () => {
      client.subscribe(this.topic('NCMD'), { qos: 0 });
      this.publishBirth('connected');
    });
    client.on('reconnect', () => {
      if (!this.born) return;
      // The will registered with the last connection is spent: this one dies with a new bdSeq.
      this.born = false;
      this.bdSeq = this.takeBdSeq();
      client.options.will = this.will();
    });
    client.on('error', (error) => {
      const problem = describeMqttError(error, url);
      if (problem !== this.lastError)
        logger.warn({ url, problem }, `Sparkplug edge node: broker ${url}: ${problem}`);
      this.lastError = problem;
    });
    client.on('message', (_topic, payload) => this.command(payload));
    this.timer = setInterval(() => {
      try {
        this.publishData();
      } catch (error) {
        // A status that cannot be read now is published at the next interval; the agent runs on.
        logger.warn({ err: (error as Error).message }, 'Sparkplug edge node: NDATA skipped');
      }
    }, config.intervalMs);
    logger.info(
      { url, group: config.group, edgeNode: config.edgeNode, bdSeq: this.bdSeq },
      `Sparkplug edge node ${config.group}/${config.edgeNode} publishing on ${url}`,
    );
  }

  /** NDEATH first when connected (a clean disconnect sends no will), then the connection closed. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const client = this.client;
    if (!client) return;
    if (client.connected && this.born) {
      const death = client.publishAsync(this.topic('NDEATH'), this.deathPayload(), { qos: 1 });
      await Promise.race([death.catch(() => undefined), delay(DEATH_TIMEOUT_MS)]);
    }
    await client.endAsync(!client.connected).catch(() => undefined);
  }

  private publishBirth(why: string): void {
    const client = this.client;
    if (!client?.connected) return;
    const metrics = assetMetrics(this.options.assets(), this.publication.names());
    const birth = this.publication.birth(metrics, this.bdSeq);
    client.publish(this.topic('NBIRTH'), this.payload(birth.seq, birth.metrics), { qos: 0 });
    this.born = true;
    this.options.logger.info(
      { bdSeq: this.bdSeq, metrics: birth.metrics.length, why },
      `Sparkplug edge node: NBIRTH (${why})`,
    );
  }

  private publishData(): void {
    const client = this.client;
    if (!client?.connected || !this.born) return;
    const metrics = assetMetrics(this.options.assets(), this.publication.names());
    const data = this.publication.data(metrics);
    if (data.birth) {
      this.publishBirth('new asset or finding');
      return;
    }
    if (data.metrics.length > 0)
      client.publish(this.topic('NDATA'), this.payload(data.seq, data.metrics), { qos: 0 });
  }

  /** NCMD: only `Node Control/Rebirth` = true (by name, or by its alias in the NBIRTH) is a command the agent knows. */
  private command(payload: Buffer): void {
    let metrics;
    try {
      metrics = decodeSparkplug(payload).metrics ?? [];
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'Sparkplug edge node: NCMD ignored');
      return;
    }
    if (asksRebirth(metrics, this.publication.declaredAlias(REBIRTH_METRIC)))
      this.publishBirth('rebirth requested');
  }

  private payload(seq: number, metrics: PublishedMetric[]): Buffer {
    return encodeSparkplug({ timestamp: Date.now(), seq, metrics });
  }

  private deathPayload(): Buffer {
    return encodeSparkplug({
      timestamp: Date.now(),
      metrics: [{ name: 'bdSeq', type: 'UInt64', value: this.bdSeq }],
    });
  }

  private will(): IClientOptions['will'] {
    return { topic: this.topic('NDEATH'), payload: this.deathPayload(), qos: 1, retain: false };
  }

  private topic(type: MessageType): string {
    const { group, edgeNode } = this.options.config;
    return sparkplugTopic({ group, type, edgeNode });
  }

  private takeBdSeq(): number {
    const { bdSeq, problem } = nextBdSeq(this.options.bdSeqFile);
    if (problem)
      this.options.logger.warn({ file: this.options.bdSeqFile }, `Sparkplug edge node: ${problem}`);
    return bdSeq;
  }
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** The edge node `sparkplug.publish` asks for, started; its stop step. */
export function startSparkplugNode(
  config: { dataDir: string; mqtt: MqttConfig; sparkplug: { publish: SparkplugPublishConfig } },
  agentBrokerUrl: string,
  assets: () => AssetHealth[],
  logger: Logger,
): () => Promise<void> {
  const publish = config.sparkplug.publish;
  const node = new SparkplugNode({
    config: publish,
    brokerUrl: publish.brokerUrl ?? agentBrokerUrl,
    // The agent's login is for the agent's broker only: another broker's goes in its URL.
    ...(publish.brokerUrl ? {} : { connection: brokerConnectOptions(config.mqtt) }),
    bdSeqFile: join(config.dataDir, 'sparkplug-node.json'),
    assets,
    logger,
  });
  node.start();
  return () => node.stop();
}
