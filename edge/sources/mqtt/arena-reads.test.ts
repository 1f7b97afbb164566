import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { generate } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { embeddedBrokersPerTest } from '../../../test/helpers/embedded-brokers.js';
import { inArena } from './arena-reads.js';
import type { EmbeddedBroker } from './embedded-broker.js';

const { broker, cleanups } = embeddedBrokersPerTest();

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the agent's own subscription gets: topic, payload digest, and whether it was a view into an arena. */
async function received(embedded: EmbeddedBroker, topics = ['plantwatch/#']) {
  const got: { topic: string; digest: string; inArena: boolean; bytes: number }[] = [];
  cleanups.push(
    await embedded.inProcess.subscribe(topics, (topic, payload) =>
      got.push({ topic, digest: digest(payload), inArena: inArena(payload), bytes: payload.length }),
    ),
  );
  return got;
}

/** A raw TCP connection that has sent CONNECT; bytes are then written exactly as cut by the test. */
async function rawClient(embedded: EmbeddedBroker): Promise<Socket> {
  const socket = connect(embedded.port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  cleanups.push(async () => void socket.destroy());
  const connack = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(
    generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'raw',
      keepalive: 60,
    }),
  );
  await connack;
  return socket;
}

describe('the embedded broker reading its connections into arenas', () => {
  it('reads a plain TCP connection into arenas on the Node the agent runs on', async () => {
    // The arenas are set through Node's own fields for `onread`; a Node without them reads as usual
    // (slower). This fails if the Node here stops offering them, instead of slowing down unseen.
    const embedded = await broker();
    const got = await received(embedded);
    const sensor = await mqtt.connectAsync(embedded.url, { reconnectPeriod: 0 });
    cleanups.push(() => sensor.endAsync());
    await sensor.publishAsync('plantwatch/pump-1/de/waveform', randomBytes(70_000));
    await sensor.publishAsync('plantwatch/pump-1/temperature', '{"value":41.5}');
    await until(() => got.length === 2, 'both messages');
    expect(got.map((g) => g.inArena)).toEqual([true, true]);
  });

  it('hands on every packet whole and unchanged, however the stream is cut', async () => {
    const embedded = await broker();
    const got = await received(embedded);
    const socket = await rawClient(embedded);
    // From empty to four arenas long, around the read and arena sizes (16 KiB, 64 KiB, 256 KiB).
    const sizes = [
      0, 1, 2, 100, 4095, 4096, 16_383, 16_384, 16_385, 65_536, 65_600, 70_000, 200_000, 262_144, 300_000,
      1_000_000, 3, 65_536,
    ];
    const sent = sizes.map((size, i) => ({
      topic: `plantwatch/a${i}/de/waveform`,
      payload: randomBytes(size),
    }));
    const stream = Buffer.concat(
      sent.map(({ topic, payload }) =>
        generate({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false }),
      ),
    );
    // Cut at odd places, each piece its own write and (with a pause now and then) its own read.
    let at = 0;
    for (let i = 0; at < stream.length; i++) {
      const piece = [1, 7, 1000, 4093, 65_537, 140_001, 5][i % 7]!;
      socket.write(stream.subarray(at, at + piece));
      at += piece;
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => got.length === sent.length, `${sent.length} messages`);
    expect(got.map((g) => [g.topic, g.bytes, g.digest])).toEqual(
      sent.map(({ topic, payload }) => [topic, payload.length, digest(payload)]),
    );
  });

  it('keeps its own copy of what it stores: a retained message and a will', async () => {
    const embedded = await broker();
    const retained = randomBytes(50_000);
    const will = randomBytes(30_000);
    const sensor = await mqtt.connectAsync(embedded.url, {
      reconnectPeriod: 0,
      will: { topic: 'plantwatch/pump-1/status', payload: will, qos: 0, retain: false },
    });
    await sensor.publishAsync('plantwatch/pump-1/de/waveform', retained, { retain: true, qos: 1 });
    // Later: the retained message comes from the broker's store, the will from the client's record.
    const got = await received(embedded);
    await until(() => got.length === 1, 'the retained message');
    (sensor as unknown as { stream: Socket }).stream.destroy();
    await until(() => got.length === 2, 'the will');
    expect(got).toEqual([
      {
        topic: 'plantwatch/pump-1/de/waveform',
        digest: digest(retained),
        inArena: false,
        bytes: retained.length,
      },
      { topic: 'plantwatch/pump-1/status', digest: digest(will), inArena: false, bytes: will.length },
    ]);
  });
});
