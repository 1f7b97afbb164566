import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import type { EdgeConfigFile } from '../edge/config.js';
import type { Reading, Ticket } from '../shared/schema/index.js';
import { cloudTickets } from './helpers/cloud-client.js';
import { mosquittoOnFreePort, startCli, startMosquitto, stopChildren } from './helpers/processes.js';
import { tahu } from './helpers/tahu.js';
import { rulesDir } from './helpers/rules.js';
import {
  freePort,
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const encode = (payload: UPayload) => Buffer.from(tahu.encodePayload(payload));
/** Tahu's published protobuf schema, for what its encoder cannot write (a metric without a datatype). */
const RawPayload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;
type SparkplugMetric = UMetric;
type SparkplugPayload = UPayload;
/** A 64-bit value (a `long` from Tahu's decoder) or a number, as a number. */
const numberOf = (value: unknown): number | undefined =>
  typeof value === 'number'
    ? value
    : value && typeof value === 'object' && 'toNumber' in value
      ? (value as { toNumber(): number }).toNumber()
      : undefined;

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  await stopChildren();
  removeTempDirs();
});

/** The shipped bearing-overheating rule (rules/process.yaml), with a pending time a test can wait for. */
const BEARING_RULE = `rules:
  - id: bearing-overheating
    title: Bearing temperature high
    when: bearing_temperature > 85
    clearWhen: bearing_temperature < 75
    for: 1s
    severity: high
    fault: overheating
    action: SOP-BRG-03
`;

const MAP = [
  {
    edgeNode: 'line1',
    device: 'press3',
    metric: 'Bearing/Temperature',
    assetId: 'press-3',
    channel: 'bearing_temperature',
    unit: 'degC',
  },
];

/** An MQTT client of the test's own, with every Sparkplug message it receives decoded. */
async function client(url: string, topics: string[]) {
  const c = await mqtt.connectAsync(url, { clientId: `test-${Math.random().toString(16).slice(2)}` });
  running.push({ stop: () => c.endAsync() });
  const received: { topic: string; payload: SparkplugPayload }[] = [];
  c.on('message', (topic, payload) => received.push({ topic, payload: tahu.decodePayload(payload) }));
  if (topics.length) await c.subscribeAsync(topics, { qos: 1 });
  const next = async (topic: string, after = 0, what = topic) =>
    waitFor(() => received.slice(after).find((m) => m.topic === topic), what, 15_000);
  return { c, received, next };
}

/** A Sparkplug edge node as a plant's gateway would run it: line1 with device press3. */
function testEdgeNode(c: MqttClient, group = 'plant1') {
  let seq = 0;
  const publish = (type: string, device: string | undefined, payload: SparkplugPayload) =>
    c.publishAsync(['spBv1.0', group, type, 'line1', ...(device ? [device] : [])].join('/'), encode(payload));
  const nextSeq = () => {
    const s = seq;
    seq = (seq + 1) % 256;
    return s;
  };
  return {
    /** NBIRTH and DBIRTH; `aliases`: of Bearing/Temperature and Motor/Current (as a restarted node may renumber). */
    async births(temperature: number, aliases = { temperature: 10, current: 11 }) {
      seq = 0;
      await publish('NBIRTH', undefined, {
        timestamp: Date.now(),
        seq: nextSeq(),
        metrics: [
          { name: 'bdSeq', type: 'UInt64', value: 1 },
          { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
          { name: 'Line/Recipe', alias: 1, type: 'String', value: 'A' },
        ],
      });
      await publish('DBIRTH', 'press3', {
        timestamp: Date.now(),
        seq: nextSeq(),
        metrics: [
          {
            name: 'Bearing/Temperature',
            alias: aliases.temperature,
            type: 'Float',
            value: temperature,
            timestamp: Date.now(),
          },
          { name: 'Motor/Current', alias: aliases.current, type: 'Float', value: 3.2 },
        ],
      });
    },
    data: (metrics: SparkplugMetric[], device = 'press3', seqOverride?: number) =>
      publish(device ? 'DDATA' : 'NDATA', device, {
        timestamp: Date.now(),
        seq: seqOverride ?? nextSeq(),
        metrics,
      }),
    temperature: (value: number) =>
      publish('DDATA', 'press3', {
        timestamp: Date.now(),
        seq: nextSeq(),
        metrics: [{ alias: 10, type: 'Float', value, timestamp: Date.now() }],
      }),
    deviceDeath: () => publish('DDEATH', 'press3', { timestamp: Date.now(), seq: nextSeq() }),
    /** Skips `n` seq numbers, as if messages were lost. */
    lose: (n: number) => {
      seq = (seq + n) % 256;
    },
  };
}

/** An agent on `brokerUrl` (its MQTT broker, and Sparkplug's; '': the embedded one), with a cloud for its tickets. */
async function agentWithCloud(brokerUrl: string, config: Omit<Partial<EdgeConfigFile>, 'cloud'> = {}) {
  const cloud = await startTestCloud();
  running.push(cloud);
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  const agent = await startEdgeAgent(
    testEdgeConfig({
      ...(brokerUrl ? { mqtt: { url: brokerUrl } } : {}),
      rulesDir: rulesDir({ 'bearing.yaml': BEARING_RULE }),
      sparkplug: { consume: { groups: ['plant1'], map: MAP } },
      ...config,
      cloud: { url: cloud.url, token },
    }),
    silentLogger(),
  );
  running.push(agent);
  const sparkplugSource = () => agent.status().sources.find((s) => s.id === 'sparkplug');
  const latest = (): Reading | undefined =>
    agent.status().latestReadings.find((r) => r.channel === 'bearing_temperature');
  const metrics = async () => (await fetch(`${agent.statusUrl}/metrics`)).text();
  return {
    agent,
    cloud,
    sparkplugSource,
    latest,
    metrics,
    tickets: (): Promise<Ticket[]> => cloudTickets(cloud),
  };
}

const isRebirth = (payload: SparkplugPayload) =>
  payload.metrics?.some((m) => m.name === 'Node Control/Rebirth' && m.value === true) ?? false;

describe('Sparkplug B into the agent', () => {
  it('maps a device’s metrics to channels by alias, raises a ticket from them, and takes a DDEATH as bad quality', async () => {
    const url = await mosquittoOnFreePort();
    const { agent, latest, tickets, sparkplugSource } = await agentWithCloud(url);
    const node = await client(url, []);
    const line1 = testEdgeNode(node.c);
    await line1.births(60);
    const born = await waitFor(latest, 'the birth value as a reading');
    expect(born).toMatchObject({ assetId: 'press-3', value: 60, unit: 'degC', quality: 'good' });
    // Hot for longer than the rule's 1 s: the shipped-style rule fires on Sparkplug data.
    for (let i = 0; i < 40 && (await tickets()).length === 0; i++) {
      await line1.temperature(92);
      await new Promise((r) => setTimeout(r, 250));
    }
    const [ticket] = await waitFor(async () => {
      const list = await tickets();
      return list.length > 0 && list;
    }, 'the overheating ticket in the cloud');
    expect(ticket).toMatchObject({ assetId: 'press-3', fault: 'overheating', severity: 'high' });
    expect(sparkplugSource()).toMatchObject({ kind: 'sparkplug', state: 'connected', rejected: 0 });
    expect(sparkplugSource()?.unmappedMetrics).toBe(2); // Line/Recipe, Motor/Current
    expect(sparkplugSource()?.edgeNodes).toEqual(['plant1/line1']);

    await line1.deviceDeath();
    await waitFor(() => latest()?.quality === 'bad', 'the DDEATH to make the channel bad quality');
    expect(agent.status().openTickets).toBe(1);
  });

  it('takes a DDEATH as bad quality without a fault ticket', async () => {
    const url = await mosquittoOnFreePort();
    const { agent, latest, metrics } = await agentWithCloud(url);
    const node = await client(url, []);
    const line1 = testEdgeNode(node.c);
    await line1.births(60);
    await waitFor(() => latest()?.quality === 'good', 'the birth value');
    await line1.deviceDeath();
    await waitFor(() => latest()?.quality === 'bad', 'the DDEATH as a bad-quality reading');
    // Data after the death is before a birth: a rebirth request; the death itself raised nothing.
    await line1.temperature(99);
    await waitFor(
      async () => /sparkplug_rebirth_requests_total\{source="sparkplug"\} 1/.test(await metrics()),
      'a rebirth request',
    );
    expect(agent.status().openTickets).toBe(0);
    expect(agent.status().outbox.lastSeq).toBe(0);
  });

  it('asks a node whose data comes before its birth for a rebirth, then reads it', async () => {
    const url = await mosquittoOnFreePort();
    const { latest, metrics, sparkplugSource } = await agentWithCloud(url);
    const node = await client(url, ['spBv1.0/plant1/NCMD/line1']);
    const line1 = testEdgeNode(node.c);
    // The agent started after the node was born: the first thing it sees is data.
    line1.lose(7);
    await line1.temperature(70);
    const command = await node.next('spBv1.0/plant1/NCMD/line1', 0, 'the NCMD rebirth request');
    expect(isRebirth(command.payload)).toBe(true);
    expect(latest()).toBeUndefined();
    await line1.births(71);
    await line1.temperature(72);
    await waitFor(() => latest()?.value === 72, 'the data after the rebirth');
    const text = await metrics();
    expect(text).toContain('plantwatch_edge_sparkplug_rebirth_requests_total{source="sparkplug"} 1');
    expect(text).toContain(
      'plantwatch_edge_rejected_messages_total{source="sparkplug",reason="before_birth"} 1',
    );
    expect(sparkplugSource()?.rebirthRequests).toBe(1);
  });

  it('asks for a rebirth after a gap in seq (lost messages)', async () => {
    const url = await mosquittoOnFreePort();
    const { latest, sparkplugSource } = await agentWithCloud(url);
    const node = await client(url, ['spBv1.0/plant1/NCMD/line1']);
    const line1 = testEdgeNode(node.c);
    await line1.births(60);
    await line1.temperature(61);
    await waitFor(() => latest()?.value === 61, 'data in order');
    expect(node.received).toEqual([]);
    line1.lose(3);
    await line1.temperature(62);
    const command = await node.next('spBv1.0/plant1/NCMD/line1', 0, 'the rebirth request after the gap');
    expect(isRebirth(command.payload)).toBe(true);
    expect(sparkplugSource()?.rebirthRequests).toBe(1);
    // The values themselves were good: they are kept.
    await waitFor(() => latest()?.value === 62, 'the value of the message after the gap');
  });

  it('reads edge nodes on the embedded broker by default', async () => {
    const { agent, latest } = await agentWithCloud('');
    const node = await client(agent.brokerUrl, []);
    await testEdgeNode(node.c).births(58);
    await waitFor(() => latest()?.value === 58, 'the birth value through the embedded broker');
  });

  it('rejects and counts a payload that is not Sparkplug B, and keeps reading', async () => {
    const url = await mosquittoOnFreePort();
    const { latest, metrics, sparkplugSource } = await agentWithCloud(url);
    const node = await client(url, []);
    await node.c.publishAsync('spBv1.0/plant1/DDATA/line1/press3', Buffer.from('garbage'));
    await waitFor(() => sparkplugSource()?.rejected === 1, 'the rejection');
    const text = await metrics();
    expect(text).toContain('plantwatch_edge_sparkplug_bad_payloads_total{source="sparkplug"} 1');
    expect(text).toContain(
      'plantwatch_edge_rejected_messages_total{source="sparkplug",reason="bad_payload"} 1',
    );
    const line1 = testEdgeNode(node.c);
    await line1.births(64);
    await waitFor(() => latest()?.value === 64, 'a good message after the garbage');
    expect(sparkplugSource()?.state).toBe('connected');
    // An alias the birth did not declare: a bad payload too, the known one beside it still read.
    await line1.data([
      { alias: 77, type: 'Float', value: 1 },
      { alias: 10, type: 'Float', value: 65 },
    ]);
    await waitFor(() => latest()?.value === 65, 'the known alias beside the unknown one');
    await waitFor(
      async () => (await metrics()).includes('sparkplug_bad_payloads_total{source="sparkplug"} 2'),
      'the unknown alias counted',
    );
    expect(await metrics()).toContain(
      'plantwatch_edge_rejected_messages_total{source="sparkplug",reason="unknown_alias"} 1',
    );
  });

  it('rejects and counts a birth that gives one alias to two metrics (asking for a rebirth) and payloads that are no Sparkplug message', async () => {
    const url = await mosquittoOnFreePort();
    const { latest, metrics, sparkplugSource } = await agentWithCloud(url);
    const node = await client(url, ['spBv1.0/plant1/NCMD/line1']);
    const line1 = testEdgeNode(node.c);
    // The mapped Bearing/Temperature and the unmapped Motor/Current both on alias 10.
    await line1.births(60, { temperature: 10, current: 10 });
    const command = await node.next('spBv1.0/plant1/NCMD/line1', 0, 'the rebirth request for the bad DBIRTH');
    expect(isRebirth(command.payload)).toBe(true);
    await line1.temperature(61);
    await node.c.publishAsync('spBv1.0/plant1/DDATA/line1/press3', Buffer.alloc(0));
    await node.c.publishAsync('spBv1.0/plant1/DDATA/line1/press3', Buffer.from([0x08, 0x01]));
    await waitFor(() => sparkplugSource()?.rejected === 4, 'the four rejections');
    expect(latest()).toBeUndefined();
    const text = await metrics();
    for (const [reason, count] of [
      ['bad_birth', 1],
      ['before_birth', 1],
      ['bad_payload', 2],
    ] as const)
      expect(text).toContain(
        `plantwatch_edge_rejected_messages_total{source="sparkplug",reason="${reason}"} ${count}`,
      );
    expect(text).toContain('plantwatch_edge_sparkplug_bad_payloads_total{source="sparkplug"} 2');
    expect(sparkplugSource()).toMatchObject({ accepted: 1, state: 'connected' }); // the NBIRTH
  });

  it('forgets its sessions when its broker connection drops, asks the nodes for a rebirth, and reads no old alias before it', async () => {
    const url = await mosquittoOnFreePort();
    const { latest, sparkplugSource } = await agentWithCloud(url);
    const node = await client(url, ['spBv1.0/plant1/NCMD/line1']);
    const line1 = testEdgeNode(node.c);
    await line1.births(60);
    await waitFor(() => latest()?.value === 60, 'the birth value');
    expect(sparkplugSource()?.edgeNodes).toEqual(['plant1/line1']);
    // A client with the source's client id: the broker drops the source's connection, and mqtt.js
    // connects it again a second later (dropping this one).
    const impostor = await mqtt.connectAsync(url, {
      clientId: 'plantwatch-sparkplug-gw-test',
      reconnectPeriod: 0,
    });
    impostor.on('error', () => undefined);
    running.push({ stop: () => impostor.endAsync(true) });
    // Meanwhile line1 restarts and is born with its aliases swapped, unseen by the agent: seq 0 and 1
    // again, so its next seq (2) is the one the agent's old session expects.
    await line1.births(60, { temperature: 11, current: 10 });
    const command = await node.next(
      'spBv1.0/plant1/NCMD/line1',
      0,
      'the rebirth request after the reconnection',
    );
    expect(isRebirth(command.payload)).toBe(true);
    await waitFor(() => latest()?.quality === 'bad', 'the forgotten session’s channel as bad quality');
    expect(sparkplugSource()?.edgeNodes).toEqual([]);
    // Alias 10 is Motor/Current now; by the old birth it was the bearing temperature.
    await line1.data([{ alias: 10, type: 'Float', value: 3.3 }]);
    await waitFor(() => sparkplugSource()?.rejected === 1, 'the data before the new birth rejected');
    expect(latest()).toMatchObject({ quality: 'bad' });
    expect(latest()?.value).toBeNaN();
    // line1 answers the request: read by its new aliases.
    await line1.births(62, { temperature: 11, current: 10 });
    await waitFor(() => latest()?.value === 62, 'the birth value after the rebirth');
    await line1.data([{ alias: 11, type: 'Float', value: 63 }]);
    await waitFor(() => latest()?.value === 63, 'data by the new alias');
    expect(sparkplugSource()).toMatchObject({ state: 'connected', rebirthRequests: 1 });
  });
});

describe('the agent as a Sparkplug B edge node', () => {
  const NODE = 'spBv1.0/plantwatch/+/gw-test';

  it('is born with its assets’ health (NE 107), sends what changes as NDATA, and is born again on request', async () => {
    const url = await mosquittoOnFreePort();
    const host = await client(url, [NODE]);
    const { agent } = await agentWithCloud(url, {
      assets: [{ id: 'press-3' }, { id: 'pump-1' }],
      sparkplug: { consume: { groups: ['plant1'], map: MAP }, publish: { interval: '200ms' } },
    });
    const birth = await host.next('spBv1.0/plantwatch/NBIRTH/gw-test');
    const metric = (name: string, payload = birth.payload) => payload.metrics?.find((m) => m.name === name);
    expect(numberOf(birth.payload.seq)).toBe(0);
    expect(numberOf(metric('bdSeq')?.value)).toBe(0);
    expect(metric('Node Control/Rebirth')).toMatchObject({ type: 'Boolean', value: false });
    // No data from either yet: unknown, NE 107 "function check" (press-3 is mapped and watched, but
    // a mapping that has not delivered is not current data).
    expect(metric('Assets/pump-1/Health')).toMatchObject({ type: 'String', value: 'unknown' });
    expect(metric('Assets/pump-1/NE107')).toMatchObject({ type: 'String', value: 'check_function' });
    expect(metric('Assets/press-3/Health')).toMatchObject({ type: 'String', value: 'unknown' });
    expect(metric('Assets/press-3/NE107')).toMatchObject({ type: 'String', value: 'check_function' });
    expect(metric('Assets/press-3/OpenTickets')).toMatchObject({ type: 'Int32', value: 0 });
    expect(metric('Assets/press-3/ISOZone')?.value).toBeNull();
    const aliasOf = (name: string) => numberOf(metric(name)?.alias);

    // A ticket opens: Health and NE107 follow as NDATA, by alias.
    const node = await client(url, []);
    const line1 = testEdgeNode(node.c);
    await line1.births(60);
    for (let i = 0; i < 40 && agent.status().openTickets === 0; i++) {
      await line1.temperature(95);
      await new Promise((r) => setTimeout(r, 250));
    }
    const alarm = await waitFor(
      () =>
        host.received.find(
          (m) =>
            m.topic === 'spBv1.0/plantwatch/NDATA/gw-test' &&
            m.payload.metrics?.some((x) => numberOf(x.alias) === aliasOf('Assets/press-3/OpenTickets')),
        ),
      'NDATA with the open ticket',
    );
    const alarmValue = (name: string) =>
      alarm.payload.metrics?.find((m) => numberOf(m.alias) === aliasOf(name))?.value;
    expect(alarmValue('Assets/press-3/OpenTickets')).toBe(1);
    expect(alarmValue('Assets/press-3/Health')).toBe('alarm');
    expect(alarmValue('Assets/press-3/NE107')).toBe('out_of_specification');
    expect(alarm.payload.metrics?.every((m) => m.name === undefined)).toBe(true);
    const seqs = host.received
      .filter((m) => m.topic === 'spBv1.0/plantwatch/NDATA/gw-test')
      .map((m) => numberOf(m.payload.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    // A host asks for a rebirth: a new NBIRTH, same bdSeq, seq from 0, current values.
    const before = host.received.length;
    await host.c.publishAsync(
      'spBv1.0/plantwatch/NCMD/gw-test',
      encode({
        timestamp: Date.now(),
        metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
      }),
    );
    const rebirth = await host.next('spBv1.0/plantwatch/NBIRTH/gw-test', before, 'the NBIRTH after NCMD');
    expect(numberOf(rebirth.payload.seq)).toBe(0);
    expect(numberOf(metric('bdSeq', rebirth.payload)?.value)).toBe(0);
    expect(metric('Assets/press-3/OpenTickets', rebirth.payload)?.value).toBe(1);
    expect(numberOf(metric('Assets/press-3/Health', rebirth.payload)?.alias)).toBe(
      aliasOf('Assets/press-3/Health'),
    );

    // The same by alias alone, without a datatype, as a host may write a metric: a new NBIRTH too.
    const beforeByAlias = host.received.length;
    await host.c.publishAsync(
      'spBv1.0/plantwatch/NCMD/gw-test',
      Buffer.from(
        RawPayload.encode(
          RawPayload.create({
            timestamp: Date.now(),
            metrics: [{ alias: aliasOf('Node Control/Rebirth'), booleanValue: true }],
          }),
        ).finish(),
      ),
    );
    const byAlias = await host.next(
      'spBv1.0/plantwatch/NBIRTH/gw-test',
      beforeByAlias,
      'the NBIRTH after an NCMD by alias',
    );
    expect(numberOf(byAlias.payload.seq)).toBe(0);

    // A new asset (a plain MQTT reading of fan-9) is not in the birth: Sparkplug wants a new NBIRTH.
    const beforeFan = host.received.length;
    await node.c.publishAsync(
      'plantwatch/fan-9/motor_temperature/reading',
      JSON.stringify({ value: 40, unit: 'degC' }),
    );
    const fanBirth = await host.next('spBv1.0/plantwatch/NBIRTH/gw-test', beforeFan, 'the NBIRTH with fan-9');
    expect(metric('Assets/fan-9/Health', fanBirth.payload)).toMatchObject({
      type: 'String',
      value: 'healthy',
    });
    expect(metric('Assets/press-3/OpenTickets', fanBirth.payload)?.value).toBe(1);
  });

  it('does not hold up the agent when its Sparkplug broker is down at boot, and is born once it is up', async () => {
    const port = await freePort();
    const { agent } = await agentWithCloud('', {
      mqtt: { embedded: { port: 0 } },
      sparkplug: {
        consume: { brokerUrl: `mqtt://127.0.0.1:${port}`, groups: ['plant1'], map: MAP },
        publish: { brokerUrl: `mqtt://127.0.0.1:${port}`, interval: '200ms' },
      },
    });
    expect(agent.status().sources.find((s) => s.id === 'sparkplug')?.state).toBe('connecting');
    await startMosquitto(tempDir(), port);
    const host = await client(`mqtt://127.0.0.1:${port}`, [NODE]);
    const birth = await host.next('spBv1.0/plantwatch/NBIRTH/gw-test', 0, 'the NBIRTH once the broker is up');
    expect(birth.payload.metrics?.some((m) => m.name === 'Assets/press-3/Health')).toBe(true);
    await waitFor(
      () => agent.status().sources.find((s) => s.id === 'sparkplug')?.state === 'connected',
      'the Sparkplug source to connect',
    );
  });

  it('dies with its will when the agent process is killed, is born with the next bdSeq, and says NDEATH on a clean stop', async () => {
    const url = await mosquittoOnFreePort();
    const host = await client(url, [NODE]);
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
        `rulesDir: ${rulesDir({ 'bearing.yaml': BEARING_RULE })}`,
        `http: { port: ${await freePort()} }`,
        `mqtt: { url: "${url}" }`,
        'assets: [{ id: press-3 }]',
        'sparkplug: { publish: { interval: 1s } }',
        `cloud: { url: "${cloud.url}", token: "\${GATEWAY_TOKEN}" }`,
      ].join('\n'),
    );
    const run = () => startCli(['edge', '--config', join(dir, 'edge.yaml')], { GATEWAY_TOKEN: token });
    const bdSeqOf = (payload: SparkplugPayload) =>
      numberOf(payload.metrics?.find((m) => m.name === 'bdSeq')?.value);

    const first = run();
    const birth1 = await host.next('spBv1.0/plantwatch/NBIRTH/gw-test', 0, 'the first NBIRTH');
    first.process.kill('SIGKILL');
    await first.exited;
    const death1 = await host.next(
      'spBv1.0/plantwatch/NDEATH/gw-test',
      0,
      'the will (NDEATH) of the killed agent',
    );
    expect(bdSeqOf(death1.payload)).toBe(bdSeqOf(birth1.payload));

    const afterKill = host.received.length;
    const second = run();
    const birth2 = await host.next(
      'spBv1.0/plantwatch/NBIRTH/gw-test',
      afterKill,
      'the NBIRTH after the restart',
    );
    expect(bdSeqOf(birth2.payload)).toBe((bdSeqOf(birth1.payload) ?? -1) + 1);
    expect(await second.stop('SIGTERM')).toBe(0);
    const death2 = await host.next(
      'spBv1.0/plantwatch/NDEATH/gw-test',
      afterKill,
      'the NDEATH of the clean stop',
    );
    expect(bdSeqOf(death2.payload)).toBe(bdSeqOf(birth2.payload));
  });
});
