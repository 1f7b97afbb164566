import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalAlert, LOCAL_ALERT_SCHEMA } from '../edge/alerts/local-alerts.js';
import { startEdgeAgent } from '../edge/agent.js';
import { freeLoopbackPort } from '../simulators/free-port.js';
import { measurementTopic } from '../shared/schema/index.js';
import { startMosquitto, stopChildren } from './helpers/processes.js';
import { rulesDir } from './helpers/rules.js';
import { removeTempDirs, silentLogger, tempDir, testEdgeConfig, waitFor } from './helpers/stack.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  await stopChildren();
  removeTempDirs();
});

const HOT = `rules:
  - id: spindle-hot
    title: Spindle hot
    when: spindle_temperature > 65
    severity: high
    fault: overheating
    action: SOP-CNC-05
`;

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

async function subscriber(brokerUrl: string, received: Received[]) {
  const client = await mqtt.connectAsync(brokerUrl);
  running.push({ stop: () => client.endAsync() });
  client.on('message', (topic, payload, packet) =>
    received.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }),
  );
  await client.subscribeAsync('plantwatch/alerts/#', { qos: 1 });
  return client;
}

/** The embedded broker (the agent publishes inside its process), or a mosquitto (through a client). */
async function brokerSection(kind: 'embedded' | 'mosquitto') {
  if (kind === 'embedded') return {};
  const port = await freeLoopbackPort();
  await startMosquitto(tempDir(), port);
  return { mqtt: { url: `mqtt://127.0.0.1:${port}` } };
}

describe.each(['embedded', 'mosquitto'] as const)('local alerts on the gateway broker (%s)', (kind) => {
  it('announce each state change once on the plant broker while the cloud is unreachable', async () => {
    // A cloud nobody listens on: the plant is cut off.
    const cloudUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const agent = await startEdgeAgent(
      testEdgeConfig({
        site: 'plant-7',
        cloud: { url: cloudUrl, token: 'pwgw_unused' },
        rulesDir: rulesDir({ 'hot.yaml': HOT }),
        ...(await brokerSection(kind)),
      }),
      silentLogger(),
    );
    running.push(agent);
    const live: Received[] = [];
    const sensor = await subscriber(agent.brokerUrl, live);
    const reading = (value: number) =>
      sensor.publishAsync(
        measurementTopic('plantwatch', 'cnc-1', 'spindle_temperature', 'reading'),
        JSON.stringify({ value, unit: '°C', ts: Date.now() }),
        { qos: 1 },
      );

    await reading(71);
    await waitFor(() => live.some((m) => m.payload.includes('"state":"active"')), 'the alert');
    for (const value of [72, 73, 74]) await reading(value); // occurrences: not news
    const active = JSON.parse(live[0]?.payload ?? '{}') as LocalAlert;
    expect(live[0]?.topic).toBe(`plantwatch/alerts/plant-7/cnc-1/${active.ticketId}`);
    expect(active).toMatchObject({
      schema: LOCAL_ALERT_SCHEMA,
      state: 'active',
      reason: 'opened',
      site: 'plant-7',
      assetId: 'cnc-1',
      fault: 'overheating',
      severity: 'high',
      suggestedAction: 'SOP-CNC-05',
    });

    // A panel that connects later sees what is active now (retained).
    const late: Received[] = [];
    await subscriber(agent.brokerUrl, late);
    await waitFor(() => late.length > 0, 'the retained alert');
    expect(late[0]).toMatchObject({ topic: live[0]?.topic, retain: true });

    await reading(40);
    await waitFor(() => live.some((m) => m.payload.includes('"state":"cleared"')), 'the cleared alert');
    await waitFor(() => live.some((m) => m.payload === ''), 'the retained alert removed');
    const states = live
      .filter((m) => m.payload !== '')
      .map((m) => (JSON.parse(m.payload) as LocalAlert).state);
    expect(states).toEqual(['active', 'cleared']);
    expect(agent.status().outbox.pending).toBeGreaterThan(0); // nothing reached the cloud, yet the plant knew

    const afterClear: Received[] = [];
    await subscriber(agent.brokerUrl, afterClear);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(afterClear).toEqual([]);
  });
});
