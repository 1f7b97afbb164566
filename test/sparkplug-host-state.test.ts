import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import type { MeasurementSink } from '../edge/sources/source.js';
import { SparkplugSource } from '../edge/sources/sparkplug/sparkplug-source.js';
import type { Reading } from '../shared/schema/index.js';
import { mosquittoOnFreePort, startCli, stopChildren } from './helpers/processes.js';
import { tahu } from './helpers/tahu.js';
import {
  freePort,
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

// The STATE JSON is parsed here, not by the agent's primary-host-state.ts.

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  await stopChildren();
  removeTempDirs();
});

const HOST = 'scada-primary';
const STATE = `spBv1.0/STATE/${HOST}`;
const MAP = [
  {
    edgeNode: 'line1',
    device: 'press3',
    metric: 'Bearing/Temperature',
    assetId: 'press-3',
    channel: 'bearing_temperature',
  },
];

interface State {
  topic: string;
  online: unknown;
  timestamp: unknown;
  retain: boolean;
  qos: number;
}

/** An independent client watching `spBv1.0/STATE/#` at QoS 1; each STATE as it arrived. */
async function stateWatcher(url: string) {
  const c = await mqtt.connectAsync(url, { clientId: `watch-${Math.random().toString(16).slice(2)}` });
  running.push({ stop: () => c.endAsync() });
  const received: State[] = [];
  c.on('message', (topic, payload, packet) => {
    const { online, timestamp } = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    received.push({ topic, online, timestamp, retain: packet.retain, qos: packet.qos });
  });
  await c.subscribeAsync('spBv1.0/STATE/#', { qos: 1 });
  const next = (online: boolean, after: number, what: string) =>
    waitFor(() => received.slice(after).find((s) => s.online === online), what, 8000);
  return { c, received, next };
}

/**
 * An Ignition-style edge node configured with primary host `HOST`: it publishes nothing until the
 * host's STATE says online, then NBIRTH and DBIRTH (the bearing temperature at `temperature`).
 */
async function nodeWaitingForHost(url: string, temperature: number): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: 'line1' });
  running.push({ stop: () => c.endAsync() });
  c.on('message', (topic, payload) => {
    const state = JSON.parse(payload.toString('utf8')) as { online?: boolean };
    if (topic !== STATE || state.online !== true) return;
    const encode = (p: Parameters<typeof tahu.encodePayload>[0]) => Buffer.from(tahu.encodePayload(p));
    c.publish(
      'spBv1.0/plant1/NBIRTH/line1',
      encode({ timestamp: Date.now(), seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }),
    );
    c.publish(
      'spBv1.0/plant1/DBIRTH/line1/press3',
      encode({
        timestamp: Date.now(),
        seq: 1,
        metrics: [{ name: 'Bearing/Temperature', alias: 1, type: 'Float', value: temperature }],
      }),
    );
  });
  await c.subscribeAsync(STATE, { qos: 1 });
  return c;
}

describe('the agent as a Sparkplug primary host application (sparkplug.consume.primaryHostId)', () => {
  it('says online (retained, QoS 1) once subscribed, so a waiting node’s birth is read; offline with the same timestamp on a clean stop', async () => {
    const url = await mosquittoOnFreePort();
    await nodeWaitingForHost(url, 61);
    const cloud = await startTestCloud();
    running.push(cloud);
    const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
    const startedAt = Date.now();
    const agent = await startEdgeAgent(
      testEdgeConfig({
        mqtt: { url },
        sparkplug: { consume: { groups: ['plant1'], map: MAP, primaryHostId: HOST } },
        cloud: { url: cloud.url, token },
      }),
      silentLogger(),
    );
    let stopped: Promise<void> | undefined;
    const stopAgent = () => (stopped ??= agent.stop());
    running.push({ stop: stopAgent });
    // The node births only on the STATE: the reading proves the STATE came after the subscriptions.
    const reading = await waitFor(
      () => agent.status().latestReadings.find((r) => r.channel === 'bearing_temperature'),
      'the birth of the node that waits for its primary host',
      8000,
    );
    expect(reading).toMatchObject({ assetId: 'press-3', value: 61 });

    // A client arriving later still finds the host online: the birth is retained.
    const watcher = await stateWatcher(url);
    const online = await watcher.next(true, 0, 'the retained online STATE');
    expect(online).toMatchObject({ topic: STATE, online: true, retain: true, qos: 1 });
    expect(online.timestamp).toBeGreaterThanOrEqual(startedAt);
    expect(online.timestamp).toBeLessThanOrEqual(Date.now());
    // Its own STATE is not mistaken for a bad Sparkplug topic.
    expect(agent.status().sources.find((s) => s.id === 'sparkplug')).toMatchObject({ rejected: 0 });

    const before = watcher.received.length;
    await stopAgent();
    const offline = await watcher.next(false, before, 'the offline STATE of the clean stop');
    expect(offline).toMatchObject({ topic: STATE, timestamp: online.timestamp, qos: 1 });
    // Retained: a client arriving after the stop finds the host offline.
    const late = await stateWatcher(url);
    expect(await late.next(false, 0, 'the retained offline STATE')).toMatchObject({
      retain: true,
      timestamp: online.timestamp,
    });
    expect(late.received.some((s) => s.online === true)).toBe(false);
  });

  it('dies with its will (offline, the birth’s timestamp) when the agent process is killed', async () => {
    const url = await mosquittoOnFreePort();
    const watcher = await stateWatcher(url);
    const cloud = await startTestCloud();
    running.push(cloud);
    const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
    const dir = tempDir();
    writeFileSync(
      join(dir, 'edge.yaml'),
      [
        'gatewayId: gw-test',
        'site: test-site',
        'dataDir: ./edge-data',
        `http: { port: ${await freePort()} }`,
        `mqtt: { url: "${url}" }`,
        `sparkplug: { consume: { groups: [plant1], map: [], primaryHostId: ${HOST} } }`,
        `cloud: { url: "${cloud.url}", token: "\${GATEWAY_TOKEN}" }`,
      ].join('\n'),
    );
    const agent = startCli(['edge', '--config', join(dir, 'edge.yaml')], { GATEWAY_TOKEN: token });
    const online = await watcher.next(true, 0, 'the online STATE of the agent process');
    agent.process.kill('SIGKILL');
    await agent.exited;
    const will = await watcher.next(false, 0, 'the will of the killed agent');
    expect(will).toMatchObject({ topic: STATE, timestamp: online.timestamp, qos: 1 });
    const late = await stateWatcher(url);
    expect(await late.next(false, 0, 'the will, retained')).toMatchObject({ retain: true });
  });
});

describe('the Sparkplug source’s STATE over reconnections', () => {
  const sink = (readings: Reading[] = []): MeasurementSink => ({
    waveform: () => undefined,
    reading: (r) => readings.push(r),
    rejected: () => undefined,
  });
  const source = (url: string, primaryHostId?: string) => {
    const s = new SparkplugSource({
      id: 'sparkplug',
      brokerUrl: url,
      clientId: `plantwatch-sparkplug-${primaryHostId ?? 'none'}`,
      config: {
        groups: ['plant1'],
        map: MAP,
        rebirthIntervalMs: 5000,
        ...(primaryHostId ? { primaryHostId } : {}),
      },
      logger: silentLogger(),
    });
    running.push(s);
    return s;
  };
  /** The source's connection dropped without DISCONNECT, as a cable pulled would; resolves once it is back. */
  const dropConnection = (s: SparkplugSource) => {
    const { client } = s as unknown as { client: MqttClient };
    const back = new Promise((resolve) => client.once('connect', resolve));
    client.stream.destroy();
    return back;
  };

  it('sends a fresh will and birth on each reconnection, and says online again when told it is offline', async () => {
    const url = await mosquittoOnFreePort();
    const watcher = await stateWatcher(url);
    const host = source(url, HOST);
    await host.start(sink());
    const first = await watcher.next(true, 0, 'the first online STATE');

    void dropConnection(host);
    const will = await watcher.next(false, 0, 'the will of the dropped connection');
    expect(will.timestamp).toBe(first.timestamp);
    const afterDrop = watcher.received.length;
    const second = await watcher.next(true, afterDrop, 'the online STATE after reconnecting');
    expect(second.timestamp).toBeGreaterThan(first.timestamp as number);

    // The broker holds the new connection's will, not the spent one.
    void dropConnection(host);
    const secondWill = await watcher.next(false, afterDrop, 'the will of the second connection');
    expect(secondWill.timestamp).toBe(second.timestamp);
    const afterSecondDrop = watcher.received.length;
    const third = await watcher.next(true, afterSecondDrop, 'the online STATE after the second reconnection');

    // Another client (a late will, a second agent with this id) says the host is offline: it answers.
    const afterThird = watcher.received.indexOf(third) + 1;
    await watcher.c.publishAsync(STATE, JSON.stringify({ online: false, timestamp: 1 }), {
      qos: 1,
      retain: true,
    });
    await watcher.next(false, afterThird, 'the foreign offline STATE');
    const reasserted = await watcher.next(true, afterThird, 'online again after the foreign offline');
    expect(reasserted).toMatchObject({ topic: STATE, timestamp: third.timestamp });
    const late = await stateWatcher(url);
    expect(await late.next(true, 0, 'the retained STATE after the reassertion')).toMatchObject({
      retain: true,
    });
  });

  it('publishes no STATE and has no will without primaryHostId', async () => {
    const url = await mosquittoOnFreePort();
    const watcher = await stateWatcher(url);
    const plain = source(url);
    await plain.start(sink());
    expect(plain.health().state).toBe('connected');
    await dropConnection(plain);
    await plain.stop();
    // A STATE published with the source would have arrived by now (the same broker, QoS 1).
    await new Promise((r) => setTimeout(r, 300));
    expect(watcher.received).toEqual([]);
  });
});
