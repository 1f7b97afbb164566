import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Reading } from '../../../shared/schema/index.js';
import { withoutCredentials } from '../mqtt/mqtt-config.js';
import { trackSubscription } from '../mqtt/tracked-subscription.js';
import type { TimeWindow } from '../plausible-time.js';
import type { MeasurementSink, Source, SourceHealth } from '../source.js';
import { EdgeNodeSessions, type SessionOutcome } from './edge-node-sessions.js';
import { PrimaryHostState } from './primary-host-state.js';
import { RebirthThrottle } from './rebirth-throttle.js';
import type { SparkplugConsumeConfig } from './sparkplug-config.js';
import { decodeSparkplug, encodeSparkplug } from './sparkplug-payload.js';
import { NAMESPACE, parseSparkplugTopic, type SparkplugTopic, sparkplugTopic } from './sparkplug-topic.js';

export interface SparkplugSourceOptions {
  id: string;
  brokerUrl: string;
  clientId: string;
  config: SparkplugConsumeConfig;
  /** Login and TLS material (`brokerConnectOptions`) when it is the agent's broker. */
  connection?: IClientOptions;
  timeWindow?: TimeWindow;
  logger?: Logger;
}

const RECONNECT_PERIOD_MS = 1000;
/** Unmapped metric names remembered (each logged once) before the memory starts over. */
const UNMAPPED_NAMES_MAX = 10_000;

/** Rejections that are also bad payloads: not Sparkplug B, or naming an alias no birth declared. */
const BAD_PAYLOAD_REASONS = new Set(['bad_payload', 'unknown_alias']);

/** The messages a host application reads; commands (NCMD, DCMD) are for the nodes. */
const SUBSCRIBED = ['NBIRTH/+', 'NDATA/+', 'NDEATH/+', 'DBIRTH/+/+', 'DDATA/+/+', 'DDEATH/+/+'];

/**
 * Reads Sparkplug B edge nodes as a host application: their births say which metric an alias
 * stands for, their data become readings of the mapped asset channels, a death makes those channels
 * bad quality. Data the agent cannot place (before a birth, after lost messages, an unknown alias)
 * makes it ask the node for a rebirth, at most once per node per `rebirthInterval`. After a lost
 * connection to the broker every session is forgotten and every node known asks for a rebirth: a
 * death or a new birth may have passed unseen. With `primaryHostId` it is also the edge nodes'
 * primary host: its STATE says online on every connection (see `PrimaryHostState`).
 */
export class SparkplugSource implements Source {
  readonly id: string;
  private client?: MqttClient;
  private readonly state: SourceHealth & Required<Pick<SourceHealth, 'rebirthRequests' | 'badPayloads'>>;
  private readonly sessions: EdgeNodeSessions;
  private readonly throttle: RebirthThrottle;
  private readonly hostState?: PrimaryHostState;
  private readonly unmapped = new Set<string>();
  private unmappedCount = 0;
  /** Connected at least once: the next connection is a reconnection. */
  private everConnected = false;

  constructor(private readonly options: SparkplugSourceOptions) {
    this.id = options.id;
    this.state = {
      id: options.id,
      kind: 'sparkplug',
      state: 'starting',
      accepted: 0,
      rejected: 0,
      rebirthRequests: 0,
      badPayloads: 0,
    };
    this.sessions = new EdgeNodeSessions(options.config.map, options.timeWindow);
    this.throttle = new RebirthThrottle(options.config.rebirthIntervalMs);
    const { primaryHostId } = options.config;
    if (primaryHostId) this.hostState = new PrimaryHostState(primaryHostId, options.logger);
  }

  health(): SourceHealth {
    return { ...this.state, unmappedMetrics: this.unmappedCount, edgeNodes: this.sessions.onlineNodes() };
  }

  /** Like the MQTT source: resolves once subscribed or once the first attempt failed (then keeps trying). */
  async start(sink: MeasurementSink): Promise<void> {
    const { brokerUrl, clientId, connection, logger, config } = this.options;
    const url = withoutCredentials(brokerUrl);
    const client = mqtt.connect(brokerUrl, {
      ...connection,
      clientId,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      connectTimeout: 10_000,
      // Births are not retained: after a reconnect the rebirth requests bring the nodes back.
      clean: true,
      resubscribe: false,
      ...(this.hostState ? { will: this.hostState.nextWill() } : {}),
    });
    this.client = client;
    const stateTopic = this.hostState?.topic;
    client.on('message', (topic, payload) => {
      if (topic !== stateTopic) this.handle(topic, payload, sink);
    });
    const subscribed = trackSubscription(client, {
      state: this.state,
      url,
      topics: config.groups.flatMap((group) => SUBSCRIBED.map((t) => `${NAMESPACE}/${group}/${t}`)),
      qos: 0,
      name: 'Sparkplug',
      subscribed: `Sparkplug source subscribed on ${url} to groups ${config.groups.join(', ')}`,
      ...(logger ? { logger } : {}),
    });
    // After trackSubscription's own 'connect' listener: the subscriptions go out before the rebirth
    // requests, so the births that answer them are received.
    client.on('connect', () => this.connected(sink));
    this.hostState?.attach(client);
    await subscribed;
  }

  /** A reconnection: the sessions of before cannot be trusted (see `EdgeNodeSessions.forgetAll`). */
  private connected(sink: MeasurementSink): void {
    if (!this.everConnected) {
      this.everConnected = true;
      return;
    }
    const { nodes, readings } = this.sessions.forgetAll(Date.now());
    if (nodes.length === 0) return;
    this.options.logger?.info(
      { source: this.id, edgeNodes: nodes.map(({ group, edgeNode }) => `${group}/${edgeNode}`) },
      `Sparkplug: reconnected to the broker; ${nodes.length} edge node session(s) forgotten, rebirths requested`,
    );
    this.deliver(readings, sink, (reason, detail) => {
      this.state.rejected++;
      sink.rejected({ source: this.id, where: 'reconnection', reason, detail });
    });
    for (const node of nodes)
      this.askRebirth(node, 'reconnected to the broker: a death or birth may have been missed');
  }

  private handle(topic: string, payload: Buffer, sink: MeasurementSink): void {
    const reject = (reason: string, detail: string) => {
      this.state.rejected++;
      sink.rejected({ source: this.id, where: topic, reason, detail });
    };
    const parsed = parseSparkplugTopic(topic);
    if (typeof parsed === 'string') {
      reject('bad_topic', parsed);
      return;
    }
    let outcome: SessionOutcome;
    try {
      outcome = this.sessions.handle(parsed, decodeSparkplug(payload), Date.now());
    } catch (error) {
      this.state.badPayloads++;
      reject('bad_payload', (error as Error).message);
      return;
    }
    for (const { reason, detail } of outcome.problems) {
      if (BAD_PAYLOAD_REASONS.has(reason)) this.state.badPayloads++;
      reject(reason, detail);
    }
    this.noteUnmapped(outcome.unmapped);
    const delivered = this.deliver(outcome.readings, sink, reject);
    if (outcome.rebirth) this.askRebirth(parsed, outcome.rebirth);
    if (delivered && outcome.problems.length === 0) {
      this.state.accepted++;
      this.state.lastMessageAt = new Date().toISOString();
    }
  }

  /** True when the sink took every reading. */
  private deliver(
    readings: readonly Reading[],
    sink: MeasurementSink,
    reject: (reason: string, detail: string) => void,
  ): boolean {
    let delivered = true;
    for (const reading of readings) {
      try {
        sink.reading(reading);
      } catch (error) {
        delivered = false;
        reject('unprocessable', `${reading.assetId}/${reading.channel}: ${(error as Error).message}`);
      }
    }
    return delivered;
  }

  /** NCMD `Node Control/Rebirth` = true: the node answers with its NBIRTH and DBIRTHs. */
  private askRebirth({ group, edgeNode }: Pick<SparkplugTopic, 'group' | 'edgeNode'>, why: string): void {
    const client = this.client;
    if (!client?.connected || !this.throttle.mayAsk(`${group}/${edgeNode}`, Date.now())) return;
    this.state.rebirthRequests++;
    this.options.logger?.info(
      { source: this.id, group, edgeNode, why },
      `Sparkplug: asked ${group}/${edgeNode} for a rebirth (${why})`,
    );
    const command = encodeSparkplug({
      timestamp: Date.now(),
      metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
    });
    client.publish(sparkplugTopic({ group, type: 'NCMD', edgeNode }), command, { qos: 0 });
  }

  /** Each unmapped metric counted and logged once: a node with 500 tags must not fill the log. */
  private noteUnmapped(names: readonly string[]): void {
    for (const name of names) {
      if (this.unmapped.has(name)) continue;
      if (this.unmapped.size >= UNMAPPED_NAMES_MAX) this.unmapped.clear();
      this.unmapped.add(name);
      this.unmappedCount++;
      this.options.logger?.info(
        { source: this.id, metric: name },
        `Sparkplug metric ${name} is not in sparkplug.consume.map: ignored`,
      );
    }
  }

  async stop(): Promise<void> {
    this.state.state = 'stopped';
    if (this.client && this.hostState) await this.hostState.offline(this.client);
    await this.client?.endAsync();
  }
}
