import type { IClientOptions } from 'mqtt';
import type { Logger } from 'pino';
import type { OutboxEvent, Severity, Ticket } from '../../shared/schema/index.js';
import type { InProcessBroker } from '../sources/mqtt/embedded-broker.js';
import type { MqttConfig } from '../sources/mqtt/mqtt-config.js';
import { brokerConnectOptions } from '../sources/mqtt/mqtt-connection.js';

/** Bumped on any incompatible change of the payload; local subscribers check it. */
export const LOCAL_ALERT_SCHEMA = 'plantwatch.local-alert/v1';

export interface LocalAlert {
  schema: typeof LOCAL_ALERT_SCHEMA;
  state: 'active' | 'cleared';
  /** What made this alert news: a new ticket, a severity change, or the condition clearing. */
  reason: 'opened' | 'severity_changed' | 'cleared' | 'restarted';
  site: string;
  gatewayId: string;
  ticketId: string;
  assetId: string;
  fault: Ticket['fault'];
  severity: Severity;
  title: string;
  suggestedAction: string;
  firstSeen: string;
  lastSeen: string;
  clearedAt?: string;
}

export const localAlertTopic = (
  topicPrefix: string,
  site: string,
  assetId: string,
  ticketId: string,
): string => `${topicPrefix}/alerts/${site}/${assetId}/${ticketId}`;

export interface LocalAlertsOptions {
  brokerUrl: string;
  topicPrefix: string;
  site: string;
  /** Login and TLS material (`brokerConnectOptions`). */
  connection?: IClientOptions;
  /** The embedded broker, published to inside this process instead of through a client on `brokerUrl`. */
  inProcess?: InProcessBroker;
  logger: Logger;
}

/** The local alerts the config asks for (`mqtt.alerts`, on by default) on the agent's broker; undefined when off. */
export function localAlertsFor(
  config: { site: string; mqtt: MqttConfig },
  brokerUrl: string,
  logger: Logger,
  inProcess?: InProcessBroker,
): LocalAlerts | undefined {
  const { alerts, topicPrefix } = config.mqtt;
  if (!alerts) return undefined;
  return new LocalAlerts({
    brokerUrl,
    topicPrefix,
    site: config.site,
    logger,
    connection: brokerConnectOptions(config.mqtt),
    ...(inProcess ? { inProcess } : {}),
  });
}

/** Where alerts are published: the embedded broker itself, or a client of the plant's broker. */
interface AlertPublisher {
  publish(topic: string, payload: string, retain: boolean, done: (error?: Error) => void): void;
  close(): Promise<void>;
}

/**
 * A client of an external broker. mqtt.js is loaded only here (and by an external broker's
 * source): on the embedded broker the agent publishes inside its own process, without a loopback
 * connection to itself, and does not load mqtt.js and its dependencies at all (measured on an idle
 * agent with 64 assets: 1.6 MB less live heap, about 2.5 MB less resident memory).
 */
async function clientPublisher(options: LocalAlertsOptions): Promise<AlertPublisher> {
  const { default: mqtt } = await import('mqtt');
  const { brokerUrl, connection, logger } = options;
  const client = mqtt.connect(brokerUrl, {
    ...connection,
    clientId: `plantwatch-alerts-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 2000,
  });
  client.on('error', (error) =>
    logger.warn(
      { err: error.message },
      'local alerts: MQTT error; alarms are queued until the broker answers',
    ),
  );
  return {
    publish: (topic, payload, retain, done) => client.publish(topic, payload, { qos: 1, retain }, done),
    close: () => client.endAsync().catch(() => undefined),
  };
}

/** The embedded broker itself (which keeps its own publishes in order). */
function inProcessPublisher(broker: InProcessBroker): AlertPublisher {
  let last: Promise<void> = Promise.resolve();
  return {
    publish(topic, payload, retain, done) {
      last = broker.publish(topic, payload, retain).then(() => done(), done);
    },
    close: () => last,
  };
}

/**
 * A plant must hear of a fault when the link to the cloud is down, so the agent publishes its
 * alarms on its own MQTT broker: an andon light, an HMI or the local SCADA subscribes to
 * `<prefix>/alerts/#`. One message per state change (opened, severity changed, cleared), never per
 * occurrence. Active alerts are retained, so a panel that connects later sees what is active now;
 * a cleared one is announced, then its retained message removed (an empty payload, by MQTT's rule).
 */
export class LocalAlerts {
  private publisher: AlertPublisher | undefined;
  private readonly published = new Map<string, Severity>();
  private failures = 0;

  constructor(private readonly options: LocalAlertsOptions) {}

  async start(openTickets: readonly Ticket[]): Promise<void> {
    const { inProcess } = this.options;
    this.publisher = inProcess ? inProcessPublisher(inProcess) : await clientPublisher(this.options);
    // Retained alerts outlive neither an external broker's restart nor ours: state them again.
    for (const ticket of openTickets) this.send(ticket, 'active', 'restarted');
  }

  /** Publishes the event when it changes what the plant should see; occurrences alone do not. */
  onEvent(event: OutboxEvent): void {
    const { ticket } = event;
    if (event.type === 'ticket.cleared') {
      this.published.delete(ticket.id);
      this.send(ticket, 'cleared', 'cleared');
      return;
    }
    const before = this.published.get(ticket.id);
    if (event.type === 'ticket.opened' || before === undefined) this.send(ticket, 'active', 'opened');
    else if (before !== ticket.severity) this.send(ticket, 'active', 'severity_changed');
  }

  health(): { published: number; failures: number } {
    return { published: this.published.size, failures: this.failures };
  }

  async stop(): Promise<void> {
    await this.publisher?.close();
  }

  private send(ticket: Ticket, state: LocalAlert['state'], reason: LocalAlert['reason']): void {
    const publisher = this.publisher;
    if (!publisher) return;
    if (state === 'active') this.published.set(ticket.id, ticket.severity);
    const topic = localAlertTopic(this.options.topicPrefix, this.options.site, ticket.assetId, ticket.id);
    const alert: LocalAlert = {
      schema: LOCAL_ALERT_SCHEMA,
      state,
      reason,
      site: ticket.site,
      gatewayId: ticket.gatewayId,
      ticketId: ticket.id,
      assetId: ticket.assetId,
      fault: ticket.fault,
      severity: ticket.severity,
      title: ticket.title,
      suggestedAction: ticket.suggestedAction,
      firstSeen: ticket.firstSeen,
      lastSeen: ticket.lastSeen,
      ...(ticket.clearedAt ? { clearedAt: ticket.clearedAt } : {}),
    };
    const failed = (error?: Error) => {
      if (!error) return;
      this.failures++;
      this.options.logger.warn({ err: error.message, topic }, 'local alerts: publish failed');
    };
    publisher.publish(topic, JSON.stringify(alert), state === 'active', failed);
    if (state === 'cleared') publisher.publish(topic, '', true, failed);
  }
}
