import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { SourceHealth } from '../source.js';
import { describeMqttError } from './mqtt-connection.js';

export interface TrackedSubscription {
  /** The source's health, kept current: connecting, connected, reconnecting, failed, lastError. */
  state: SourceHealth;
  /** The broker URL without credentials, for messages. */
  url: string;
  topics: string[];
  qos: 0 | 1;
  /** What the messages call this source, e.g. `MQTT` or `Sparkplug`. */
  name: string;
  /** The log line once subscribed (again). */
  subscribed: string;
  logger?: Logger;
}

/**
 * Subscribes on every connect and keeps the source's health in step with the connection, without
 * waiting for the broker to be up: a gateway boots before the plant's broker as often as after.
 * Resolves once subscribed, or once the first attempt failed (the source then reports `connecting`
 * and mqtt.js keeps trying), so a message published after that on a reachable broker is not missed.
 * A broker error is logged once per change of wording; a refused subscription fails the source with
 * the ACL to check.
 */
export function trackSubscription(client: MqttClient, options: TrackedSubscription): Promise<void> {
  const { state, url, topics, qos, name, logger } = options;
  let everConnected = false;
  let firstAttemptOver!: () => void;
  const started = new Promise<void>((resolve) => {
    firstAttemptOver = resolve;
  });
  client.on('reconnect', () => {
    state.state = everConnected ? 'reconnecting' : 'connecting';
  });
  client.on('error', (error) => {
    const problem = describeMqttError(error, url);
    if (problem !== state.lastError)
      logger?.warn({ source: state.id, url, problem }, `${name} broker ${url}: ${problem}`);
    state.lastError = problem;
  });
  client.on('close', () => {
    if (!everConnected && state.state === 'starting') state.state = 'connecting';
    firstAttemptOver();
  });
  client.on('connect', () => {
    client.subscribe(topics, { qos }, (error, granted) => {
      const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
      if (error || refused.length > 0) {
        state.state = 'failed';
        state.lastError = `subscription refused by the broker: ${error?.message ?? refused.join(', ')}; check its ACL`;
        logger?.error({ source: state.id, url }, `${name} source: ${state.lastError}`);
      } else {
        if (!everConnected || state.state !== 'connected')
          logger?.info({ source: state.id, url, topics }, options.subscribed);
        everConnected = true;
        state.state = 'connected';
        delete state.lastError;
      }
      firstAttemptOver();
    });
  });
  return started;
}
