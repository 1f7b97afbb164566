import { connect as connectTcp } from 'node:net';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { ReadingPayload, WaveformPayload } from '../../shared/schema/index.js';
import { deepNesting, hostileRawBody, hostileString } from './hostile-values.js';
import type { SurfaceFigures } from './http-fuzz.js';
import { emptyFigures } from './http-fuzz.js';
import { hostileFor, type JsonSchema } from './schema-arbitraries.js';

interface MqttCase {
  topic: string;
  payload: Buffer;
  /**
   * Sent over a bare socket: topics with `#`/`+` or broken UTF-8 that mqtt.js will not publish, and
   * `$SYS/…`, which the broker drops without the PUBACK mqtt.js would wait for.
   */
  raw: boolean;
}

const segment = fc.oneof(
  { arbitrary: fc.constantFrom('pump-1', 'fan-2', 'de', 'temp'), weight: 3 },
  { arbitrary: hostileString.filter((s) => s.length < 200), weight: 2 },
  { arbitrary: fc.constantFrom('#', '+', '', ' ', 'ä漢🙂', '..', '$SYS'), weight: 1 },
);

const topic = fc.oneof(
  {
    arbitrary: fc
      .tuple(segment, segment, fc.constantFrom('waveform', 'reading', 'other', '#', '+'))
      .map(([asset, channel, kind]) => `plantwatch/${asset}/${channel}/${kind}`),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom('plantwatch/#', 'plantwatch/+/+/reading', '#', '+', '/', '$SYS/x'),
    weight: 1,
  },
);

const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');

const payload: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: hostileFor(ReadingPayload as JsonSchema).map(json), weight: 3 },
  { arbitrary: hostileFor(WaveformPayload as JsonSchema).map(json), weight: 3 },
  {
    arbitrary: fc
      .constantFrom('NaN', 'Infinity', '-Infinity', '1e999', 'null', '"41.5"')
      .map((v) => Buffer.from(`{"value":${v},"unit":"degC"}`)),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom('"NaN"', '"Infinity"').map((v) => Buffer.from(`{"value":${v},"unit":"degC"}`)),
    weight: 1,
  },
  { arbitrary: hostileRawBody.map((s) => Buffer.from(s)), weight: 2 },
  { arbitrary: deepNesting.map(json), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), weight: 2 },
  {
    arbitrary: fc
      .integer({ min: 10_000, max: 200_000 })
      .map((n) => json({ sampleRateHz: 12_800, unit: 'g', samples: Array.from({ length: n }, () => 'x') })),
    weight: 1,
  },
);

export const mqttCase: fc.Arbitrary<MqttCase> = fc.tuple(topic, payload).map(([t, p]) => ({
  topic: t,
  payload: p,
  raw: /^\$|[#+]|[\uD800-\uDFFF]/.test(t) || t.includes('\u0000'),
}));

const varint = (n: number): number[] => {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return bytes;
};

const packet = (type: number, body: Buffer) =>
  Buffer.concat([Buffer.from([type, ...varint(body.length)]), body]);

const withLength = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);

/** CONNECT then a QoS 0 PUBLISH the client library would refuse to build; the broker must cope. */
function rawPublish(brokerUrl: string, c: MqttCase): Promise<void> {
  const { hostname, port } = new URL(brokerUrl);
  const connectBody = Buffer.concat([
    withLength(Buffer.from('MQTT')),
    Buffer.from([4, 0x02, 0, 30]),
    withLength(Buffer.from(`fuzz-raw-${Math.random().toString(36).slice(2)}`)),
  ]);
  const publish = packet(0x30, Buffer.concat([withLength(Buffer.from(c.topic)), c.payload]));
  return new Promise((resolve) => {
    const socket = connectTcp({ host: hostname, port: Number(port) }, () => {
      socket.write(Buffer.concat([packet(0x10, connectBody), publish]), () =>
        setTimeout(() => socket.destroy(), 20),
      );
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.setTimeout(2_000, () => socket.destroy());
  });
}

/** What an agent with the default prefix subscribes to: each of these it must accept or count. */
const MEASUREMENT_TOPIC = /^plantwatch\/[^/]*\/[^/]*\/(waveform|reading)$/;

export interface MqttFuzzOptions {
  brokerUrl: string;
  seed: number;
  runs: number;
  ms: number;
}

/**
 * Publishes hostile topics and payloads to a broker an agent reads. Counts what could not be
 * delivered at all (the broker gone: a crash); the caller checks the agent afterwards.
 */
export async function fuzzMqtt(
  options: MqttFuzzOptions,
): Promise<SurfaceFigures & { measurementTopics: number; rawMeasurementTopics: number }> {
  const figures = { ...emptyFigures('mqtt'), measurementTopics: 0, rawMeasurementTopics: 0 };
  const client = await mqtt.connectAsync(options.brokerUrl, { reconnectPeriod: 100, connectTimeout: 5_000 });
  try {
    await fc.check(
      fc.asyncProperty(mqttCase, async (c) => {
        figures.inputs++;
        if (MEASUREMENT_TOPIC.test(c.topic)) figures[c.raw ? 'rawMeasurementTopics' : 'measurementTopics']++;
        try {
          if (c.raw) await rawPublish(options.brokerUrl, c);
          else await client.publishAsync(c.topic, c.payload, { qos: 1 });
        } catch (error) {
          // mqtt.js refusing a topic client-side is no finding; the broker vanishing is.
          if (/Invalid topic/i.test((error as Error).message)) return true;
          figures.crashes++;
          figures.findings.push(
            `publish failed (${(error as Error).message}): topic ${JSON.stringify(c.topic.slice(0, 100))}`,
          );
        }
        return true;
      }),
      {
        seed: options.seed,
        numRuns: options.runs,
        interruptAfterTimeLimit: options.ms,
        markInterruptAsFailure: false,
      },
    );
  } finally {
    await client.endAsync(true);
  }
  return figures;
}
