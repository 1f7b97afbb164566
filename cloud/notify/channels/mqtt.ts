import { connectAsync, type MqttClient } from 'mqtt';
import type { NotificationsConfig } from '../notify-config.js';

export interface MqttPublisher {
  publish(topic: string, body: string): Promise<void>;
  close(): Promise<void>;
}

/** Publishes notifications (QoS 1) on the configured broker, connecting on first use. */
export function mqttPublisher(config: NotificationsConfig['mqtt']): MqttPublisher {
  let client: Promise<MqttClient> | undefined;
  return {
    async publish(topic, body) {
      if (!config) throw new Error('no notifications.mqtt in the cloud config: cannot publish');
      client ??= connectAsync(config.url, {
        clientId: `plantwatch-notify-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        connectTimeout: 10_000,
        reconnectPeriod: 2_000,
        ...(config.username ? { username: config.username } : {}),
        ...(config.password ? { password: config.password } : {}),
      }).catch((error: unknown) => {
        client = undefined;
        throw error;
      });
      const connected = await client;
      // While the broker is away the client queues QoS 1 messages; give up the attempt instead.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connected.publishAsync(topic, body, { qos: 1 }),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('MQTT publish not acknowledged within 10 s')), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async close() {
      const pending = client;
      client = undefined;
      if (pending) await (await pending.catch(() => undefined))?.endAsync(true);
    },
  };
}
