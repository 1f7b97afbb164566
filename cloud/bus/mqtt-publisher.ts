import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { TicketChange } from '../../shared/schema/index.js';

export interface MqttBusSettings {
  url: string;
  topicPrefix: string;
  username?: string;
  password?: string;
  clientId?: string;
}

/**
 * `<prefix>/sites/<site>/ticket-events`. A site name is one topic level: `/`, `+` and `#` in it are
 * percent-encoded so it can neither split the level nor act as a wildcard.
 */
export const siteTopic = (prefix: string, site: string): string =>
  `${prefix.replace(/\/+$/, '')}/sites/${site.replace(/[/+#%]/g, (c) => encodeURIComponent(c))}/ticket-events`;

/** Publishes ticket changes to a broker, QoS 1; a broker that is down makes publish() throw. */
export class MqttPublisher {
  private readonly client: MqttClient;

  constructor(
    private readonly settings: MqttBusSettings,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {
    this.client = mqtt.connect(settings.url, {
      ...(settings.username !== undefined ? { username: settings.username } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      clientId:
        settings.clientId ?? `plantwatch-bus-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    });
    let reported = false;
    this.client.on('connect', () => {
      reported = false;
      logger.info({ broker: settings.url }, 'event bus connected to the MQTT broker');
    });
    // mqtt.js reconnects on its own; the error is logged once per outage, not on every attempt.
    this.client.on('error', (error) => {
      if (reported) return;
      reported = true;
      logger.warn(
        { broker: settings.url, err: error.message },
        'event bus cannot reach the MQTT broker; retrying',
      );
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async publish(change: TicketChange): Promise<void> {
    // Refuse rather than queue: the consumer keeps the change and retries it with backoff, and
    // its cursor (not mqtt.js's memory) is what survives a restart.
    if (!this.client.connected) throw new Error(`MQTT broker ${this.settings.url} is not connected`);
    const topic = siteTopic(this.settings.topicPrefix, change.ticket.site);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.publishAsync(topic, JSON.stringify(change), { qos: 1 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`MQTT broker ${this.settings.url} did not acknowledge within ${this.timeoutMs} ms`),
              ),
            this.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    this.logger.debug({ topic, cursor: change.cursor }, 'ticket change published');
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}
