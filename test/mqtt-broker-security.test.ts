import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import { certificates } from './helpers/certificates.js';
import {
  capturingLogger,
  removeTempDirs,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const PUMP_PASSWORD = 'pump-one-secret-7f3a';
const FAN_PASSWORD = 'fan-two-secret-91c2';

let cloud: RunningCloud;
let agent: EdgeAgent;
let files: ReturnType<typeof certificates>;
const log = capturingLogger();
const clients: MqttClient[] = [];

beforeAll(async () => {
  cloud = await startTestCloud();
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  files = certificates(tempDir());
  agent = await startEdgeAgent(
    testEdgeConfig({
      cloud: { url: cloud.url, token },
      mqtt: {
        embedded: {
          port: 0,
          users: [
            { username: 'pump-1-sensor', password: PUMP_PASSWORD, assets: ['pump-1'] },
            {
              username: 'fan-2-sensor',
              passwordHash: `sha256:${createHash('sha256').update(FAN_PASSWORD).digest('hex')}`,
              assets: ['fan-2'],
            },
          ],
          tls: { port: 0, certFile: files.brokerCert, keyFile: files.brokerKey, caFile: files.ca },
        },
      },
    }),
    log.logger,
  );
});
afterAll(async () => {
  for (const client of clients) await client.endAsync(true);
  await agent?.stop();
  await cloud?.stop();
  removeTempDirs();
});

const brokerUrl = () => agent.brokerUrl;
const connect = async (options: IClientOptions, url = brokerUrl()) => {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  clients.push(client);
  return client;
};
const refusedConnect = (options: IClientOptions) =>
  mqtt.connectAsync(brokerUrl(), { reconnectPeriod: 0, connectTimeout: 5000, ...options }).then(
    async (client) => {
      await client.endAsync(true);
      return 'connected';
    },
    (error: Error) => error.message,
  );
const metric = async (reason: string) => {
  const text = await (await fetch(`${agent.statusUrl}/metrics`)).text();
  const line = new RegExp(`^plantwatch_edge_mqtt_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return Number(line?.[1] ?? 0);
};
const accepted = () => agent.status().sources.find((s) => s.id === 'mqtt')?.accepted ?? 0;
const reading = (value: number) => JSON.stringify({ value, unit: 'degC' });
/** Resolves when the broker closes the client's connection; fails after 5 s if it does not. */
const closed = (client: MqttClient) =>
  waitFor(() => !client.connected, 'the broker closing the connection', 5000).then(() => undefined);
const refusalLines = (clientId: string) =>
  log.lines().filter((l) => l.clientId === clientId && String(l.msg).includes('refused'));

describe('the embedded broker with logins', () => {
  it('refuses a wrong or missing password, counts each, and logs once per client id without the password', async () => {
    const wrong = { clientId: 'pump-1-wrong', username: 'pump-1-sensor', password: 'not-the-secret' };
    expect(await refusedConnect(wrong)).toMatch(/Bad username or password/);
    expect(await refusedConnect(wrong)).toMatch(/Bad username or password/);
    expect(await refusedConnect({ clientId: 'nobody', username: 'nobody', password: PUMP_PASSWORD })).toMatch(
      /Bad username or password/,
    );
    expect(await refusedConnect({ clientId: 'anonymous-1' })).toMatch(/Not authorized/);
    expect(await metric('bad_credentials')).toBe(3);
    expect(await metric('missing_credentials')).toBe(1);
    expect(refusalLines('pump-1-wrong')).toHaveLength(1);
    expect(refusalLines('anonymous-1')).toHaveLength(1);
    const all = JSON.stringify(log.lines());
    expect(all).not.toContain('not-the-secret');
    expect(all).not.toContain(PUMP_PASSWORD);
  });

  it('processes a device publishing for its own asset, with a password or a hashed one', async () => {
    const before = accepted();
    const pump = await connect({ clientId: 'pump-1-ok', username: 'pump-1-sensor', password: PUMP_PASSWORD });
    await pump.publishAsync('plantwatch/pump-1/temp/reading', reading(41), { qos: 1 });
    const fan = await connect({ clientId: 'fan-2-ok', username: 'fan-2-sensor', password: FAN_PASSWORD });
    await fan.publishAsync('plantwatch/fan-2/temp/reading', reading(38), { qos: 1 });
    await waitFor(() => accepted() === before + 2, 'both readings accepted');
  });

  it("refuses a device publishing under another asset's prefix or on the alerts, and processes none of it", async () => {
    const before = accepted();
    const liar = await connect({
      clientId: 'pump-1-liar',
      username: 'pump-1-sensor',
      password: PUMP_PASSWORD,
    });
    const gone = closed(liar);
    liar.publish('plantwatch/fan-2/temp/reading', reading(99), { qos: 0 });
    await gone;
    const forger = await connect({
      clientId: 'pump-1-forger',
      username: 'pump-1-sensor',
      password: PUMP_PASSWORD,
    });
    const forgerGone = closed(forger);
    forger.publish('plantwatch/alerts/test-site/pump-1/fake', '{"state":"critical"}', { qos: 0 });
    await forgerGone;
    expect(await metric('publish_other_asset')).toBe(1);
    expect(await metric('publish_alerts')).toBe(1);
    expect(refusalLines('pump-1-liar')[0]?.msg).toMatch(
      /publish on plantwatch\/fan-2\/temp\/reading: this login may publish for pump-1 only/,
    );
    // An allowed reading after them is the only one the agent takes.
    const pump = await connect({
      clientId: 'pump-1-after',
      username: 'pump-1-sensor',
      password: PUMP_PASSWORD,
    });
    await pump.publishAsync('plantwatch/pump-1/temp/reading', reading(42), { qos: 1 });
    await waitFor(() => accepted() === before + 1, 'the allowed reading accepted');
    expect(accepted()).toBe(before + 1);
  });

  it("lets a device follow the alerts and its own asset, not the plant's data", async () => {
    const pump = await connect({
      clientId: 'pump-1-sub',
      username: 'pump-1-sensor',
      password: PUMP_PASSWORD,
    });
    const granted = await pump.subscribeAsync(['plantwatch/alerts/#', 'plantwatch/pump-1/#']);
    expect(granted.map((g) => [g.topic, g.qos])).toEqual([
      ['plantwatch/alerts/#', 0],
      ['plantwatch/pump-1/#', 0],
    ]);
    // The broker answers 128 (failure) for the whole plant's topics.
    await expect(pump.subscribeAsync('plantwatch/#')).rejects.toThrow(/Subscribe error/);
    expect(await metric('subscribe_forbidden')).toBe(1);
  });

  it('refuses a packet over maxPacketBytes, keeps running, and takes a 16,384-sample waveform', async () => {
    const big = await connect({ clientId: 'pump-1-big', username: 'pump-1-sensor', password: PUMP_PASSWORD });
    const gone = closed(big);
    big.publish('plantwatch/pump-1/de/waveform', Buffer.alloc(1_200_000, 0x20), { qos: 0 });
    await gone;
    expect(await metric('packet_too_large')).toBe(1);

    const before = accepted();
    const samples = Array.from({ length: 16_384 }, (_, i) => Math.sin(i / 3) * 0.1);
    const payload = JSON.stringify({ sampleRateHz: 25_600, unit: 'g', samples });
    expect(payload.length).toBeGreaterThan(140_000);
    const pump = await connect({
      clientId: 'pump-1-wave',
      username: 'pump-1-sensor',
      password: PUMP_PASSWORD,
    });
    await pump.publishAsync('plantwatch/pump-1/de/waveform', payload, { qos: 1 });
    await waitFor(() => accepted() === before + 1, 'the full waveform accepted');
    expect(agent.status().sources.find((s) => s.id === 'mqtt')?.state).toBe('connected');
  });

  it('serves mqtts:// to a client whose certificate the CA signed, and refuses one without', async () => {
    const port = (await waitFor(() => tlsPort(), 'the TLS port in the log')) as number;
    const url = `mqtts://127.0.0.1:${port}`;
    const tls = { ca: readFileSync(files.ca), servername: 'broker.plant.test' };
    const before = accepted();
    const secure = await connect(
      {
        clientId: 'pump-1-tls',
        username: 'pump-1-sensor',
        password: PUMP_PASSWORD,
        ...tls,
        cert: readFileSync(files.cert),
        key: readFileSync(files.key),
      },
      url,
    );
    await secure.publishAsync('plantwatch/pump-1/temp/reading', reading(43), { qos: 1 });
    await waitFor(() => accepted() === before + 1, 'the reading over TLS accepted');
    const without = await mqtt
      .connectAsync(url, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
        username: 'pump-1-sensor',
        password: PUMP_PASSWORD,
        ...tls,
      })
      .then(
        async (client) => {
          await client.endAsync(true);
          return 'connected';
        },
        (error: Error) => error.message,
      );
    expect(without).not.toBe('connected');
  });
});

function tlsPort(): number | undefined {
  const line = log.lines().find((l) => l.msg === 'embedded MQTT broker listening');
  const tls = typeof line?.tls === 'string' ? /:(\d+)$/.exec(line.tls) : null;
  return tls?.[1] ? Number(tls[1]) : undefined;
}
