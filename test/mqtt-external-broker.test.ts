import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import { startOpcuaSimulator } from '../simulators/opcua/opcua-simulator.js';
import type { MqttSection } from '../edge/sources/mqtt/mqtt-config.js';
import { cloudTickets } from './helpers/cloud-client.js';
import { start, startCli, startMosquitto, stopChildren } from './helpers/processes.js';
import { rulesDir } from './helpers/rules.js';
import {
  capturingLogger,
  freePort,
  removeTempDirs,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';
import { certificates } from './helpers/certificates.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  await stopChildren();
  removeTempDirs();
});

const HOT_RULE = `rules:
  - id: oil-hot
    title: Oil hot
    when: oil_temperature > 80
    severity: high
    fault: overheating
    action: SOP-OIL-1
`;

describe('an external broker that is not up when the agent starts', () => {
  it('keeps the agent running as connecting, then subscribes and processes readings once mosquitto is up', async () => {
    const cloud = await startTestCloud();
    running.push(cloud);
    const token = await cloud.store.access.createGatewayToken('gw-late-broker', { sites: ['plant-7'] });
    const dir = tempDir();
    const plc = await startOpcuaSimulator({ port: 0, pkiDir: join(dir, 'sim-pki') });
    running.push(plc);
    const [mqttPort, edgePort] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'edge.yaml'),
      [
        'gatewayId: gw-late-broker',
        'site: plant-7',
        'dataDir: ./edge-data',
        `rulesDir: ${rulesDir({ 'hot.yaml': HOT_RULE })}`,
        `http: { port: ${edgePort} }`,
        `mqtt: { url: "mqtt://127.0.0.1:${mqttPort}" }`,
        `opcua: [{ id: cnc, url: "${plc.endpointUrl}", nodes: [{ nodeId: "ns=1;s=cnc-1.SpindleSpeed", assetId: cnc-1, channel: spindle_speed, unit: rpm }] }]`,
        `cloud: { url: "${cloud.url}", token: "\${GATEWAY_TOKEN}", retryMax: 1s }`,
      ].join('\n'),
    );
    const spawnedAt = Date.now();
    const edge = startCli(['edge', '--config', join(dir, 'edge.yaml')], { GATEWAY_TOKEN: token });
    const statusUrl = `http://127.0.0.1:${edgePort}`;
    type Status = { sources: { id: string; state: string; lastError?: string; accepted: number }[] };
    const status = async (): Promise<Status | undefined> => {
      const response = await fetch(`${statusUrl}/api/v1/status`).catch(() => undefined);
      return response?.ok ? ((await response.json()) as Status) : undefined;
    };
    const mqttSource = async () => (await status())?.sources.find((s) => s.id === 'mqtt');

    const connecting = await waitFor(
      async () => {
        const source = await mqttSource();
        return source?.state === 'connecting' && source;
      },
      'the status to show the MQTT source connecting',
      15_000,
    );
    expect(connecting.lastError).toContain(`nothing listens at mqtt://127.0.0.1:${mqttPort} yet`);
    const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
    expect(metrics).toContain('plantwatch_edge_source_state{source="mqtt",state="connecting"} 1');
    expect(metrics).toContain('plantwatch_edge_source_up{source="mqtt"} 0');
    // Not healthy while a source is not connected (a liveness probe sees it).
    expect((await fetch(`${statusUrl}/healthz`)).status).toBe(503);
    // Past the 10 s after which the agent used to give up and exit.
    await waitFor(() => Date.now() - spawnedAt > 11_000, 'past 10 s', 15_000);
    expect(edge.process.exitCode).toBeNull();
    expect((await mqttSource())?.state).toBe('connecting');
    // Meanwhile the PLC is read as usual (its first start makes a client certificate: allow for it).
    await waitFor(
      async () => {
        const plcSource = (await status())?.sources.find((s) => s.id === 'cnc');
        return plcSource?.state === 'connected' && plcSource.accepted > 0;
      },
      'the OPC-UA source to read the PLC while the broker is down',
      20_000,
    );
    expect((await mqttSource())?.state).toBe('connecting');

    const mosquittoStartedAt = Date.now();
    await startMosquitto(dir, mqttPort);
    await waitFor(async () => (await mqttSource())?.state === 'connected', 'the source to connect', 10_000);
    expect((await fetch(`${statusUrl}/healthz`)).status).toBe(200);
    console.log(`MQTT source subscribed ${Date.now() - mosquittoStartedAt} ms after mosquitto was started`);

    const published = start('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1'],
      ...['-t', 'plantwatch/press-2/oil_temperature/reading'],
      ...['-m', JSON.stringify({ value: 91.5, unit: 'degC' })],
    ]);
    expect(await published.exited).toBe(0);
    await waitFor(async () => (await mqttSource())?.accepted === 1, 'the reading to be processed');
    const ticket = await waitFor(
      async () => (await cloudTickets(cloud)).find((t) => t.rule.id === 'oil-hot'),
      'its ticket in the cloud',
    );
    expect(ticket).toMatchObject({ assetId: 'press-2', fault: 'overheating' });
  }, 90_000);
});

describe('mqtts:// to an external broker', () => {
  it('connects with the CA, a client certificate and servername; says what to set without the CA; names a missing file', async () => {
    const dir = tempDir();
    const files = certificates(dir);
    const port = await freePort();
    await startMosquitto(dir, port, [
      `cafile ${files.ca}`,
      `certfile ${files.brokerCert}`,
      `keyfile ${files.brokerKey}`,
      'require_certificate true',
    ]);
    const cloud = await startTestCloud();
    running.push(cloud);
    const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
    const log = capturingLogger();
    const agentWith = async (mqttSection: MqttSection) => {
      const agent = await startEdgeAgent(
        testEdgeConfig({ cloud: { url: cloud.url, token }, mqtt: mqttSection }),
        log.logger,
      );
      running.push(agent);
      return agent;
    };
    const url = `mqtts://127.0.0.1:${port}`;
    const password = 'broker-password-never-logged';

    // The broker's certificate names broker.plant.test, not 127.0.0.1: servername says whom to expect.
    const trusted = await agentWith({
      url,
      username: 'gw-test',
      password,
      tls: { caFile: files.ca, certFile: files.cert, keyFile: files.key, servername: 'broker.plant.test' },
    });
    await waitFor(() => trusted.status().sources[0]?.state === 'connected', 'a TLS connection');
    const sensor = await mqtt.connectAsync(url, {
      ca: readFileSync(files.ca),
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      servername: 'broker.plant.test',
    });
    await sensor.publishAsync(
      'plantwatch/pump-1/temp/reading',
      JSON.stringify({ value: 41.5, unit: 'degC' }),
      { qos: 1 },
    );
    await sensor.endAsync();
    await waitFor(() => trusted.status().counters.readings === 1, 'the reading over TLS');

    const untrusted = await agentWith({
      url,
      tls: { certFile: files.cert, keyFile: files.key, servername: 'broker.plant.test' },
    });
    const refused = await waitFor(() => {
      const source = untrusted.status().sources[0];
      return source?.lastError ? source : undefined;
    }, 'the TLS failure');
    expect(refused.state).toBe('connecting');
    expect(refused.lastError).toMatch(
      new RegExp(
        `^the certificate of mqtts://127\\.0\\.0\\.1:${port} is not trusted \\(.+\\): set mqtt\\.tls\\.caFile to the CA certificate that signed it$`,
      ),
    );

    const missing = join(dir, 'no-such-ca.pem');
    await expect(agentWith({ url, tls: { caFile: missing } })).rejects.toThrow(
      `mqtt.tls.caFile: cannot read ${missing} (no such file); it should hold the CA certificate that signed the broker's (PEM)`,
    );

    const logged = JSON.stringify(log.lines());
    expect(logged).not.toContain(password);
    expect(logged).not.toContain(readFileSync(files.key, 'utf8').split('\n')[1]);
  }, 60_000);
});
