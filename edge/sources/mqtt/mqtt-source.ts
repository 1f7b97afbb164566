import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  type MeasurementKind,
  ReadingPayload,
  WaveformPayload,
  waveformOf,
} from '../../../shared/schema/index.js';
import { SchemaError, validator } from '../../../shared/validation.js';
import {
  BINARY_WAVEFORM_CONTENT_TYPE,
  BinaryWaveformError,
  isBinaryWaveform,
  nonFiniteSampleProblem,
  readBinaryWaveform,
} from '../../../shared/waveform-binary.js';
import { implausibleTime, type TimeWindow } from '../plausible-time.js';
import type { InProcessBroker } from './embedded-broker.js';
import { withoutCredentials } from './mqtt-config.js';
import { readJsonWaveform } from './json-waveform.js';
import { trackSubscription } from './tracked-subscription.js';
import type { MeasurementSink, Source, SourceHealth } from '../source.js';

export interface MqttSourceOptions {
  id: string;
  brokerUrl: string;
  topicPrefix: string;
  clientId: string;
  /** Login and TLS material (`brokerConnectOptions`). */
  connection?: IClientOptions;
  /**
   * The embedded broker, read inside this process instead of through a client on `brokerUrl`
   * (which then only names it in messages).
   */
  inProcess?: InProcessBroker;
  /** Default: input.maxFutureSkew 1d, input.earliest 2000-01-01. */
  timeWindow?: TimeWindow;
  logger?: Logger;
}

/** How often mqtt.js tries again while the broker is down or gone. */
const RECONNECT_PERIOD_MS = 1000;

const validateWaveform = validator(WaveformPayload, 'waveform payload');
const validateReading = validator(ReadingPayload, 'reading payload');

/** A topic `<prefix>/<asset>/<channel>/<kind>` split into its parts, or the reason it is not one. */
export function parseMeasurementTopic(
  prefix: string,
  topic: string,
): { assetId: string; channel: string; kind: MeasurementKind } | string {
  const rest = topic.startsWith(`${prefix}/`) ? topic.slice(prefix.length + 1).split('/') : [];
  const [assetId, channel, kind] = rest;
  if (rest.length !== 3 || !assetId || !channel || (kind !== 'waveform' && kind !== 'reading')) {
    return `topic must be ${prefix}/<assetId>/<channel>/waveform|reading`;
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(assetId) || !/^[A-Za-z0-9_.-]{1,64}$/.test(channel)) {
    return 'asset and channel ids may contain only letters, digits, _ . - (at most 64)';
  }
  return { assetId, channel, kind };
}

/**
 * Subscribes to waveform and scalar topics and hands valid measurements to the sink. Anything else
 * is rejected with the topic and the precise problem; one bad sensor never stops the others.
 */
export class MqttSource implements Source {
  readonly id: string;
  private client?: MqttClient;
  private unsubscribe?: () => Promise<void>;
  private readonly state: SourceHealth;
  private lastMessageMs: number | undefined;

  constructor(private readonly options: MqttSourceOptions) {
    this.id = options.id;
    this.state = { id: options.id, kind: 'mqtt', state: 'starting', accepted: 0, rejected: 0 };
  }

  health(): SourceHealth {
    return {
      ...this.state,
      ...(this.lastMessageMs === undefined
        ? {}
        : { lastMessageAt: new Date(this.lastMessageMs).toISOString() }),
    };
  }

  /**
   * Connects and subscribes without waiting for the broker to be up: a gateway boots before the
   * plant's broker as often as after. Resolves once subscribed, or once the first attempt failed
   * (the source then reports `connecting` and mqtt.js keeps trying every second), so a message
   * published after start() resolves on a reachable broker is not missed.
   */
  async start(sink: MeasurementSink): Promise<void> {
    const { brokerUrl, topicPrefix, clientId, connection, logger, inProcess } = this.options;
    const url = withoutCredentials(brokerUrl);
    const topics = [`${topicPrefix}/+/+/waveform`, `${topicPrefix}/+/+/reading`];
    if (inProcess) {
      this.unsubscribe = await inProcess.subscribe(topics, (topic, payload, contentType) => {
        // Inside the broker's delivery: a bug here must not break the delivery to its other clients.
        try {
          this.handle(topic, payload, sink, contentType);
        } catch (error) {
          logger?.error(
            { source: this.id, topic, err: (error as Error).message },
            'MQTT message not handled',
          );
        }
      });
      this.state.state = 'connected';
      logger?.info(
        { source: this.id, url, topics },
        `MQTT source subscribed in-process to the embedded broker ${url}`,
      );
      return;
    }
    // Loaded only for an external broker: see clientPublisher in local-alerts.ts.
    const { default: mqtt } = await import('mqtt');
    const client = mqtt.connect(brokerUrl, {
      ...connection,
      clientId,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      connectTimeout: 10_000,
      // A persistent session keeps QoS 1 messages queued at the broker while we reconnect.
      clean: false,
      // Subscribed on every connect below, also after a first connect that came late.
      resubscribe: false,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) =>
      this.handle(topic, payload, sink, packet.properties?.contentType),
    );
    await trackSubscription(client, {
      state: this.state,
      url,
      topics,
      qos: 1,
      name: 'MQTT',
      subscribed: `MQTT source subscribed on ${url}`,
      ...(logger ? { logger } : {}),
    });
  }

  private handle(topic: string, payload: Buffer, sink: MeasurementSink, contentType?: string): void {
    const reject = (reason: string, detail: string) => {
      this.state.rejected++;
      sink.rejected({ source: this.id, where: topic, reason, detail });
    };
    const parsedTopic = parseMeasurementTopic(this.options.topicPrefix, topic);
    if (typeof parsedTopic === 'string') {
      reject('bad_topic', parsedTopic);
      return;
    }
    const { assetId, channel, kind } = parsedTopic;
    const receivedAt = Date.now();
    const binary =
      kind === 'waveform' && (contentType === BINARY_WAVEFORM_CONTENT_TYPE || isBinaryWaveform(payload));
    // A plain JSON waveform is read without one large string (see readJsonWaveform); any other
    // payload, and a JSON one it declines, goes through JSON.parse and the schema.
    const plainJson = kind === 'waveform' && !binary ? readJsonWaveform(payload) : undefined;
    let json: unknown;
    if (!binary && !plainJson) {
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch (error) {
        reject('not_json', `payload is not JSON (nor a binary waveform): ${(error as Error).message}`);
        return;
      }
    }
    let deliver: () => void;
    let ts: number | undefined;
    try {
      if (binary) {
        // The samples are checked for NaN and Infinity by the analysis' first pass over them.
        const body = readBinaryWaveform(payload);
        ts = body.ts;
        const refuse = this.nonFiniteRefusal(reject);
        const waveform = waveformOf({ ts: body.ts ?? receivedAt, assetId, channel }, body, body.samples);
        deliver = () => sink.waveform(waveform, refuse);
      } else if (kind === 'waveform') {
        const body = plainJson ?? validateWaveform(json);
        ts = body.ts;
        const waveform = waveformOf({ ts: body.ts ?? receivedAt, assetId, channel }, body, body.samples);
        deliver = () => sink.waveform(waveform);
      } else {
        const body = validateReading(json);
        ts = body.ts;
        deliver = () => sink.reading({ ...body, ts: body.ts ?? receivedAt, assetId, channel });
      }
    } catch (error) {
      if (error instanceof BinaryWaveformError) {
        reject('invalid_payload', error.message);
        return;
      }
      if (!(error instanceof SchemaError)) throw error;
      reject('invalid_payload', error.problems.join('; '));
      return;
    }
    // A ticket stamped in the year 58000 is refused by the cloud for ever: stop it at the door.
    const timeProblem =
      ts === undefined ? undefined : implausibleTime('ts', ts, receivedAt, this.options.timeWindow);
    if (timeProblem) {
      reject('implausible_timestamp', timeProblem);
      return;
    }
    try {
      deliver();
    } catch (error) {
      // A measurement the analysis cannot use (e.g. a record too short for a spectrum) is bad input too.
      reject('unprocessable', (error as Error).message);
      return;
    }
    this.state.accepted++;
    // Formatted when the health is read, not per message.
    this.lastMessageMs = receivedAt;
  }

  /**
   * What the analysis calls when a binary waveform held a NaN or an Infinity. Made apart from the
   * waveform on purpose: a closure made beside it shares its scope, so it would keep the 64 KB
   * payload alive while the waveform waits in the analysis queue, although the samples were
   * copied into a sample slot when it was queued.
   */
  private nonFiniteRefusal(reject: (reason: string, detail: string) => void) {
    return (index: number, value: number) => {
      // Counted as accepted when delivered; the analysis found it was not.
      this.state.accepted--;
      reject('invalid_payload', nonFiniteSampleProblem(index, value));
    };
  }

  async stop(): Promise<void> {
    this.state.state = 'stopped';
    await this.unsubscribe?.();
    await this.client?.endAsync();
  }
}
