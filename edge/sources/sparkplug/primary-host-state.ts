import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { NAMESPACE } from './sparkplug-topic.js';

/** Sparkplug 3.0 §4.2.3 (Host Application STATE): one topic level per host. */
export const stateTopic = (hostId: string): string => `${NAMESPACE}/STATE/${hostId}`;

/** The STATE payload (§4.2.3.1.2, §4.2.3.2.2): UTF-8 JSON, the birth's timestamp repeats the will's. */
export const statePayload = (online: boolean, timestamp: number): Buffer =>
  Buffer.from(JSON.stringify({ online, timestamp }));

/** True for a STATE payload saying `online: false`; anything else (our own birth, garbage) is not. */
export function saysOffline(payload: Buffer): boolean {
  try {
    const state: unknown = JSON.parse(payload.toString('utf8'));
    return typeof state === 'object' && state !== null && (state as { online?: unknown }).online === false;
  } catch {
    return false;
  }
}

/** A STATE death that is not yet out when the broker stops answering: the will covers it. */
const OFFLINE_TIMEOUT_MS = 2000;

/**
 * The agent as a Sparkplug primary host application: edge nodes configured with this host id
 * publish nothing until its retained `spBv1.0/STATE/<id>` says online, and rebirth when it does.
 *
 * Each CONNECT carries a will `{online:false, timestamp:T}` (retained, QoS 1) with T the time of that
 * attempt, and once connected the birth `{online:true, timestamp:T}` with the same T: edge nodes
 * order STATE messages by timestamp, so a late will of an older connection cannot mark the current
 * one offline. mqtt.js reads `client.options.will` on every CONNECT, so the will is renewed on each
 * 'reconnect'. The birth goes out after the SUBACK of the host's own STATE subscription, which the
 * broker handles after the source's namespace subscriptions sent before it on the same connection
 * (§5.3: subscriptions first, then STATE), so no birth answering it is missed.
 */
export class PrimaryHostState {
  readonly topic: string;
  private timestamp = Date.now();
  private stopping = false;

  constructor(
    private readonly hostId: string,
    private readonly logger?: Logger,
  ) {
    this.topic = stateTopic(hostId);
  }

  /** The will for the next CONNECT, with a fresh timestamp that its birth will repeat. */
  nextWill(): NonNullable<IClientOptions['will']> {
    // Strictly later than the last connection's, also when a reconnection comes within the same
    // millisecond (seen in CI): an equal timestamp would not tell the new connection from the old.
    this.timestamp = Math.max(Date.now(), this.timestamp + 1);
    return { topic: this.topic, payload: statePayload(false, this.timestamp), qos: 1, retain: true };
  }

  /**
   * Call after the source's own 'connect' listener (its subscriptions) is registered, so this one's
   * subscription follows them on the wire.
   */
  attach(client: MqttClient): void {
    client.on('reconnect', () => {
      client.options.will = this.nextWill();
    });
    client.on('connect', () => {
      client.subscribe(this.topic, { qos: 1 }, (error) => {
        if (error) {
          this.logger?.error(
            { hostId: this.hostId, err: error.message },
            `Sparkplug: cannot subscribe ${this.topic}: STATE not published; check the broker's ACL`,
          );
          return;
        }
        this.publish(client, 'connected');
      });
    });
    client.on('message', (topic, payload, packet) => {
      // A retained STATE is what was there before this connection's birth, which replaces it.
      if (topic !== this.topic || packet.retain || this.stopping || !saysOffline(payload)) return;
      // §5.3: another client (a late will, a second agent with this id) said this host is offline.
      this.publish(client, 'STATE offline seen on its own topic');
    });
  }

  /** A clean stop sends no will: the death goes out as a message, with the connection's timestamp. */
  async offline(client: MqttClient): Promise<void> {
    this.stopping = true;
    if (!client.connected) return;
    const death = client.publishAsync(this.topic, statePayload(false, this.timestamp), {
      qos: 1,
      retain: true,
    });
    await Promise.race([death.catch(() => undefined), delay(OFFLINE_TIMEOUT_MS)]);
  }

  private publish(client: MqttClient, why: string): void {
    if (this.stopping) return;
    client.publish(this.topic, statePayload(true, this.timestamp), { qos: 1, retain: true });
    this.logger?.info(
      { hostId: this.hostId, timestamp: this.timestamp, why },
      `Sparkplug: primary host ${this.hostId} online on ${this.topic} (${why})`,
    );
  }
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });
