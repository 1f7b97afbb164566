import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import type { EdgeConfigFile } from '../edge/config.js';
import { type OpcuaEndpoint, resolveOpcuaEndpoint } from '../edge/sources/opcua/opcua-config.js';
import { OpcuaSource } from '../edge/sources/opcua/opcua-source.js';
import type { MeasurementSink } from '../edge/sources/source.js';
import type { Reading, Ticket, Waveform } from '../shared/schema/index.js';
import { startFaultProxy } from '../simulators/chaos/fault-proxy.js';
import { type OpcuaSimulatorOptions, startOpcuaSimulator } from '../simulators/opcua/opcua-simulator.js';
import { type Child, startCli } from './helpers/processes.js';
import { rulesDir } from './helpers/rules.js';
import {
  capturingLogger,
  freePort,
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';
import { cloudTickets as ticketsInCloud } from './helpers/cloud-client.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

async function simulator(options: Partial<OpcuaSimulatorOptions> = {}) {
  const sim = await startOpcuaSimulator({ port: 0, pkiDir: join(tempDir(), 'sim-pki'), ...options });
  running.push(sim);
  return sim;
}

const SCALARS = [
  // By namespace URI: survives a server that renumbers its namespaces.
  {
    nodeId: 'nsu=urn:plantwatch:simulator;s=cnc-1.SpindleSpeed',
    assetId: 'cnc-1',
    channel: 'spindle_speed',
    unit: 'rpm',
  },
  {
    browsePath: '/Objects/1:Machines/1:cnc-1/1:SpindleTemperature',
    assetId: 'cnc-1',
    channel: 'spindle_temperature',
    unit: 'degC',
  },
  {
    browsePath: '/Objects/1:Machines/1:cnc-1/1:CoolantFlow',
    assetId: 'cnc-1',
    channel: 'coolant_flow',
    unit: 'L/min',
  },
];

/** A source read into arrays, as the agent's pipeline would receive it. */
function collectingSource(
  endpoint: Partial<OpcuaEndpoint> & Pick<OpcuaEndpoint, 'url'>,
  logger: Logger = silentLogger(),
) {
  const dir = tempDir();
  const config = resolveOpcuaEndpoint(
    { id: 'cnc', nodes: SCALARS, reconnectMaxDelay: '1s', ...endpoint },
    { baseDir: dir, dataDir: dir },
  );
  const readings: (Reading & { receivedAt: number })[] = [];
  const waveforms: Waveform[] = [];
  const rejections: { reason: string; detail: string }[] = [];
  const sink: MeasurementSink = {
    reading: (reading) => readings.push({ ...reading, receivedAt: Date.now() }),
    waveform: (waveform) => waveforms.push(waveform),
    rejected: ({ reason, detail }) => rejections.push({ reason, detail }),
  };
  const source = new OpcuaSource(config, logger);
  running.push(source);
  return { source, config, readings, waveforms, rejections, start: () => source.start(sink) };
}

/** An edge agent reading OPC-UA, with a cloud to send its tickets to. */
async function agentWithCloud(config: Omit<Partial<EdgeConfigFile>, 'cloud'>) {
  const cloud = await startTestCloud();
  running.push(cloud);
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  const agent = await startEdgeAgent(
    testEdgeConfig({ ...config, cloud: { url: cloud.url, token } }),
    silentLogger(),
  );
  running.push(agent);
  const cloudTickets = (): Promise<Ticket[]> => ticketsInCloud(cloud);
  return { agent, cloudTickets };
}

const readingsAfter = (
  readings: (Reading & { receivedAt: number })[],
  t: number,
  channel = 'spindle_speed',
) => readings.filter((r) => r.receivedAt > t && r.channel === channel);

describe('OPC-UA source against the simulator', () => {
  it('maps nodes by id and by browse path into readings and waveforms, polls, and reports unknown nodes', async () => {
    const sim = await simulator({ waveform: { sampleRateHz: 12_800, samples: 8192, intervalMs: 500 } });
    const { agent } = await agentWithCloud({
      assets: [{ id: 'cnc-1', rpm: 12_000, rpmChannel: 'spindle_speed' }],
      opcua: [
        {
          id: 'cnc',
          url: sim.endpointUrl,
          publishingInterval: '200ms',
          nodes: [
            ...SCALARS,
            {
              browsePath: '/Objects/1:Machines/1:cnc-1/1:Vibration',
              assetId: 'cnc-1',
              channel: 'spindle-accel',
              waveform: { sampleRateHz: 12_800, unit: 'g' },
            },
            { nodeId: 'ns=1;s=cnc-1.NoSuchSensor', assetId: 'cnc-1', channel: 'missing', unit: 'x' },
            { nodeId: 'nsu=urn:elsewhere;i=5', assetId: 'cnc-1', channel: 'elsewhere', unit: 'x' },
          ],
        },
        {
          id: 'cnc-poll',
          url: sim.endpointUrl,
          mode: 'poll',
          pollInterval: '200ms',
          nodes: [
            { nodeId: 'ns=1;s=cnc-1.MotorCurrent', assetId: 'cnc-1', channel: 'motor_current', unit: 'A' },
          ],
        },
      ],
    });
    const status = await waitFor(() => {
      const s = agent.status();
      const channels = new Set(s.latestReadings.map((r) => r.channel));
      const hasAll = ['spindle_speed', 'spindle_temperature', 'coolant_flow', 'motor_current'].every((c) =>
        channels.has(c),
      );
      return hasAll && s.latestFeatures.some((f) => f.channel === 'spindle-accel') && s;
    }, 'readings from every mapped node and features from the vibration array');
    const byChannel = new Map(status.latestReadings.map((r) => [r.channel, r]));
    expect(byChannel.get('spindle_speed')).toMatchObject({ assetId: 'cnc-1', unit: 'rpm', quality: 'good' });
    expect(byChannel.get('spindle_speed')?.value).toBeCloseTo(12_000, -2);
    expect(byChannel.get('spindle_temperature')?.value).toBeGreaterThan(30);
    expect(byChannel.get('coolant_flow')).toMatchObject({ unit: 'L/min' });
    expect(byChannel.get('motor_current')?.value).toBeGreaterThan(5);
    expect(status.latestFeatures.find((f) => f.channel === 'spindle-accel')).toMatchObject({
      assetId: 'cnc-1',
      sampleRateHz: 12_800,
    });

    const cnc = status.sources.find((s) => s.id === 'cnc');
    expect(cnc).toMatchObject({ kind: 'opcua', state: 'connected', endpoint: sim.endpointUrl, connects: 1 });
    expect(cnc?.nodeProblems).toEqual([
      'cnc-1/elsewhere: the server has no namespace urn:elsewhere',
      expect.stringMatching(/cnc-1\/missing: .*BadNodeIdUnknown/),
    ]);
    expect(status.sources.find((s) => s.id === 'cnc-poll')).toMatchObject({ state: 'connected' });
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toContain('plantwatch_edge_source_up{source="cnc"} 1');
    expect(metrics).toContain('plantwatch_edge_source_connects_total{source="cnc-poll"} 1');
    expect(metrics).toContain('plantwatch_edge_source_subscription_recreations_total{source="cnc"} 0');
    expect(metrics).toMatch(
      /plantwatch_edge_rejected_messages_total\{source="cnc",reason="node_unavailable"\} 2/,
    );
  });

  it('connects with SignAndEncrypt and generated certificates; an untrusted certificate is refused with what to do', async () => {
    const simPki = join(tempDir(), 'sim-pki');
    const sim = await simulator({
      securityModes: ['SignAndEncrypt'],
      trustUnknownClients: false,
      pkiDir: simPki,
    });
    const client = collectingSource({ url: sim.endpointUrl, securityMode: 'SignAndEncrypt' });
    await client.start();
    // First the gateway refuses the server's certificate: nobody has trusted it yet.
    const untrusted = await waitFor(() => client.source.health().lastError, 'the untrusted-server error');
    expect(untrusted).toContain(`the certificate of ${sim.endpointUrl} is not trusted`);
    expect(existsSync(join(client.config.pkiDir, 'own', 'certs', 'client_certificate.pem'))).toBe(true);
    const rejectedServerCert = /It was saved as (.+\.pem)\./.exec(untrusted)?.[1];
    expect(rejectedServerCert && existsSync(rejectedServerCert)).toBe(true);
    // The operator follows the message; then the server refuses the gateway's certificate in turn.
    renameSync(rejectedServerCert!, join(client.config.pkiDir, 'trusted', 'certs', 'server.pem'));
    const refused = await waitFor(() => {
      const error = client.source.health().lastError;
      return error?.includes('refused this gateway') && error;
    }, 'the server refusing the client certificate');
    expect(refused).toContain(join(client.config.pkiDir, 'own', 'certs', 'client_certificate.pem'));
    const simRejected = join(simPki, 'rejected');
    const [clientCert] = readdirSync(simRejected);
    renameSync(join(simRejected, clientCert!), join(simPki, 'trusted', 'certs', clientCert!));
    // Both sides trust each other now: the source gets there by itself.
    await waitFor(() => client.readings.length > 3, 'encrypted readings', 20_000);
    expect(client.source.health()).toMatchObject({ state: 'connected' });
    expect(client.readings[0]).toMatchObject({ assetId: 'cnc-1', quality: 'good' });
  });

  it('logs in with a username and password, and says so when the password is wrong', async () => {
    const sim = await simulator({ users: [{ username: 'operator', password: 'right-password' }] });
    const log = capturingLogger();
    const wrong = collectingSource(
      { url: sim.endpointUrl, username: 'operator', password: 'wrong-password-4711' },
      log.logger,
    );
    await wrong.start();
    expect(await waitFor(() => wrong.source.health().lastError, 'the login error')).toContain(
      'refused the login (BadUserAccessDenied): check username and password',
    );
    expect(log.lines().some((line) => String(line.msg).includes('refused the login'))).toBe(true);
    expect(JSON.stringify(log.lines())).not.toContain('wrong-password-4711');
    const right = collectingSource({
      url: sim.endpointUrl,
      username: 'operator',
      password: 'right-password',
    });
    await right.start();
    await waitFor(() => right.readings.length > 0, 'readings after login');
    // An X.509 user identity (PEM files, as certificates are handed out); here the gateway's own.
    const own = join(right.config.pkiDir, 'own');
    const byCertificate = collectingSource({
      url: sim.endpointUrl,
      userCertificate: join(own, 'certs', 'client_certificate.pem'),
      userPrivateKey: join(own, 'private', 'private_key.pem'),
    });
    await byCertificate.start();
    await waitFor(() => byCertificate.readings.length > 0, 'readings after a certificate login');
  });

  it('applies a deadband on the server: values inside it are not sent', async () => {
    const sim = await simulator();
    const [speed, temperature] = SCALARS;
    const client = collectingSource({
      url: sim.endpointUrl,
      publishingInterval: '100ms',
      // The simulated speed wanders ±24 rpm around 12,000 every 200 ms; a 500 rpm deadband holds it.
      nodes: [{ ...speed!, deadband: { type: 'absolute', value: 500 } }, temperature!],
    });
    await client.start();
    await waitFor(
      () => client.readings.filter((r) => r.channel === 'spindle_temperature').length >= 8,
      'readings',
    );
    // The held speed is confirmed by the live subscription (refreshed), never sent again as a new value.
    const speeds = client.readings.filter((r) => r.channel === 'spindle_speed');
    expect(new Set(speeds.map((r) => r.value)).size).toBe(1);
  });

  it('resumes within 5 s of a killed server coming back, without restarting the source', async () => {
    const port = await freePort();
    const pki = join(tempDir(), 'sim-pki');
    const startServer = async (): Promise<{ child: Child; readyAt: number }> => {
      const child = startCli(['sim', 'opcua', '--port', String(port), '--pki', pki]);
      await waitFor(
        () => child.output().includes(`opc.tcp://127.0.0.1:${port}`),
        'the simulator to listen',
        30_000,
      );
      return { child, readyAt: Date.now() };
    };
    let server = await startServer();
    const client = collectingSource({ url: `opc.tcp://127.0.0.1:${port}`, publishingInterval: '200ms' });
    await client.start();
    await waitFor(() => client.readings.length > 0, 'first readings');
    const resumeMs: number[] = [];
    for (const downMs of [500, 3000, 8000]) {
      server.child.process.kill('SIGKILL');
      await server.child.exited;
      await waitFor(() => client.source.health().state === 'reconnecting', 'the source to notice');
      await new Promise((r) => setTimeout(r, downMs));
      server = await startServer();
      await waitFor(
        () => readingsAfter(client.readings, server.readyAt).length > 0,
        'readings again',
        15_000,
      );
      resumeMs.push(readingsAfter(client.readings, server.readyAt)[0]!.receivedAt - server.readyAt);
    }
    running.push({ stop: () => server.child.stop() });
    console.log(`OPC-UA resume after server restart (down 0.5 s, 3 s, 8 s): ${resumeMs.join(', ')} ms`);
    for (const ms of resumeMs) expect(ms).toBeLessThan(5000);
    expect(client.source.health().connects).toBe(4);
  }, 90_000);

  it('replaces a connection that went dead without closing (a firewall forgot it)', async () => {
    const sim = await simulator();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(sim.endpointUrl).port) });
    running.push(proxy);
    // The endpoint URL stays the simulator's; the client is pointed at the proxy.
    const client = collectingSource({
      url: `opc.tcp://127.0.0.1:${proxy.port}`,
      publishingInterval: '200ms',
    });
    await client.start();
    await waitFor(() => client.readings.length > 0, 'first readings');
    const stalledAt = Date.now();
    // The open connection goes dead; new ones still pass, as after a firewall forgot one.
    expect(proxy.freezeOpenConnections()).toBe(1);
    const resumed = await waitFor(
      () => readingsAfter(client.readings, stalledAt + 500)[0],
      'data again',
      20_000,
    );
    console.log(`OPC-UA dead connection (no FIN/RST): data again after ${resumed.receivedAt - stalledAt} ms`);
    // The keep-alive deadline (15 × 200 ms + 1 s), a bounded close, then a fresh connection.
    expect(resumed.receivedAt - stalledAt).toBeLessThan(12_000);
    expect(client.source.health()).toMatchObject({ state: 'connected', connects: 2 });
  });

  it('detects a subscription that went silent on the server and re-creates it', async () => {
    const sim = await simulator();
    const client = collectingSource({ url: sim.endpointUrl, publishingInterval: '200ms', silentAfter: '2s' });
    await client.start();
    await waitFor(() => client.readings.length > 0, 'first readings');
    const silencedAt = Date.now();
    expect(sim.silenceSubscriptions()).toBe(SCALARS.length);
    await waitFor(() => client.source.health().subscriptionRecreations === 1, 'the watchdog', 10_000);
    const resumed = await waitFor(() => readingsAfter(client.readings, silencedAt + 2000)[0], 'data again');
    console.log(
      `OPC-UA silent subscription: data again after ${resumed.receivedAt - silencedAt} ms (silentAfter 2 s)`,
    );
    expect(resumed.receivedAt - silencedAt).toBeLessThan(5000);
    expect(client.source.health()).toMatchObject({ state: 'connected', connects: 1 });
  });

  it('stamps values whose source clock runs days ahead with the server time, and counts them', async () => {
    // 200,000× simulated time: the source timestamps run more than 2 days ahead after a second.
    const sim = await simulator({ speed: 200_000 });
    const client = collectingSource({ url: sim.endpointUrl, publishingInterval: '100ms' });
    await client.start();
    await waitFor(() => (client.source.health().timestampFallbacks ?? 0) > 5, 'values with future stamps');
    const latest = client.readings.at(-1)!;
    expect(Math.abs(latest.ts - latest.receivedAt)).toBeLessThan(5000);
    expect(client.readings.every((r) => r.ts < r.receivedAt + 86_400_000)).toBe(true);
  });

  it('carries bad quality from a failed sensor as bad readings, the value frozen', async () => {
    const sim = await simulator({ scenario: 'sensor-dropout', speed: 10 });
    const client = collectingSource({ url: sim.endpointUrl, publishingInterval: '100ms' });
    await client.start();
    // The sensor may already be failed when the client connects: look for a failure after a good value.
    const firstGood = await waitFor(
      () => client.readings.find((r) => r.channel === 'spindle_temperature' && r.quality === 'good'),
      'a good spindle temperature',
    );
    const bad = await waitFor(
      () =>
        client.readings.find(
          (r) => r.channel === 'spindle_temperature' && r.quality === 'bad' && r.ts > firstGood.ts,
        ),
      'a bad spindle temperature',
    );
    const goodBefore = client.readings.filter(
      (r) => r.channel === 'spindle_temperature' && r.quality === 'good' && r.ts < bad.ts,
    );
    expect(bad.value).toBe(goodBefore.at(-1)?.value);
    await waitFor(
      () =>
        client.readings.some(
          (r) => r.channel === 'spindle_temperature' && r.quality === 'good' && r.ts > bad.ts,
        ),
      'the sensor recovering',
    );
  });
});

describe('bad quality in the rules', () => {
  it('a failed sensor interrupts a condition instead of holding it: the frozen value never fires a rule', async () => {
    // The temperature sensor fails for 10 s of every 30 s of simulated time (10× here), so good values
    // hold `> 30` for stretches of 20 s: a rule pending for 15 s fires, one pending for 25 s never may.
    // Were the frozen bad values taken as good, the condition would hold throughout and both would fire.
    const rule = (id: string, pending: string, fault: string) =>
      `  - id: ${id}\n    title: ${id}\n    when: spindle_temperature > 30\n    for: ${pending}\n    severity: low\n    fault: ${fault}\n    action: none\n`;
    const dir = rulesDir({
      'hot.yaml': `rules:\n${rule('hot-15s', '15s', 'overheating')}${rule('hot-25s', '25s', 'threshold')}`,
    });
    const sim = await simulator({ scenario: 'sensor-dropout', speed: 10 });
    const { agent } = await agentWithCloud({
      rulesDir: dir,
      opcua: [{ id: 'cnc', url: sim.endpointUrl, publishingInterval: '100ms', nodes: SCALARS }],
    });
    const fired = async (rule: string) =>
      (await (await fetch(`${agent.statusUrl}/metrics`)).text()).includes(
        `plantwatch_edge_rule_outcomes_total{rule="${rule}",kind="fire"} 1`,
      );
    await waitFor(() => fired('hot-15s'), 'the 15 s rule to fire');
    const startedAt = Date.now();
    // Two more dropout cycles (6 s at 10×).
    await waitFor(
      () => Date.now() - startedAt > 6000 && agent.status().latestReadings.length > 0,
      'two cycles',
    );
    expect(await fired('hot-25s')).toBe(false);
  });
});

describe('a mapped node that never delivers', () => {
  it('raises the silent-sensor ticket for its channel, though no value was ever heard', async () => {
    const dir = rulesDir({
      'silent.yaml':
        'rules:\n  - id: silent\n    title: Sensor silent\n    noData: 1500ms\n    severity: medium\n    fault: sensor_fault\n    action: SOP-INS-01\n',
    });
    const sim = await simulator();
    const { agent, cloudTickets } = await agentWithCloud({
      rulesDir: dir,
      opcua: [
        {
          id: 'cnc',
          url: sim.endpointUrl,
          nodes: [
            SCALARS[0]!,
            { nodeId: 'ns=1;s=cnc-1.OilPressure', assetId: 'cnc-1', channel: 'oil_pressure', unit: 'bar' },
          ],
        },
      ],
    });
    const ticket = await waitFor(async () => {
      return (await cloudTickets()).find((t) => t.fault === 'sensor_fault');
    }, 'the silent-sensor ticket');
    expect(ticket).toMatchObject({ assetId: 'cnc-1', evidence: { channel: 'oil_pressure' } });
    // Read once the session is up: a reconnect on a loaded machine clears the list until it is.
    const problems = await waitFor(() => {
      const listed = agent.status().sources.find((s) => s.id === 'cnc')?.nodeProblems ?? [];
      return listed.length > 0 && listed;
    }, 'the node problem in the status');
    expect(problems).toEqual([
      expect.stringContaining(
        'cnc-1/oil_pressure: the server refused to monitor ns=1;s=cnc-1.OilPressure: BadNodeIdUnknown',
      ),
    ]);
  });
});

describe('coolant-pump degradation from OPC-UA to the cloud', () => {
  it('raises the shipped multi-signal rule as a ticket in the cloud', async () => {
    // 40× time: the ramp's crossing at about 210 simulated seconds plus the rule's 30 s pending period.
    const sim = await simulator({ scenario: 'coolant-degradation', speed: 40 });
    const { cloudTickets } = await agentWithCloud({
      opcua: [{ id: 'cnc', url: sim.endpointUrl, publishingInterval: '100ms', nodes: SCALARS }],
    });
    const ticket = await waitFor(
      async () => {
        return (await cloudTickets()).find((t) => t.rule.id === 'spindle-coolant-starved');
      },
      'the spindle-coolant-starved ticket in the cloud',
      30_000,
    );
    expect(ticket).toMatchObject({ assetId: 'cnc-1', fault: 'overheating', severity: 'high', status: 'new' });
    const [temperature, flow] = ticket.evidence.triggeringValues;
    expect(temperature).toMatchObject({
      metric: 'spindle_temperature',
      threshold: 65,
      comparison: '>',
      unit: 'degC',
    });
    expect(temperature?.value).toBeGreaterThan(65);
    expect(flow).toMatchObject({ metric: 'coolant_flow', threshold: 12, comparison: '<', unit: 'L/min' });
    expect(flow?.value).toBeLessThan(12);
    expect(ticket.evidence.reasoning).toContain('evaluated while the machine runs: spindle_speed > 100');
  });
});

describe('steady OPC-UA values are current while the subscription is alive', () => {
  // The shipped coolant rule with a short pending period, and the silent-sensor rule on a short fuse.
  const STEADY_RULES = {
    'process.yaml': `rules:
  - id: spindle-coolant-starved
    title: Spindle overheating with low coolant flow
    when: spindle_temperature > 65 and coolant_flow < 12
    clearWhen: spindle_temperature < 60 and coolant_flow > 14
    for: 1s
    runningWhen: spindle_speed > 100
    severity: high
    fault: overheating
    action: SOP-CNC-05
  - id: sensor-silent
    title: Sensor silent
    noData: 2s
    severity: medium
    fault: sensor_fault
    action: SOP-INS-01
`,
  };
  const HELD = { SpindleSpeed: 12_000, CoolantFlow: 8 };

  async function steadyAgent(nodes: OpcuaEndpoint['nodes']) {
    // Temperature rises from 40 °C past 65 °C about 5 s in; speed and flow never change at all.
    const sim = await simulator({ scenario: 'coolant-degradation', rampS: 8, hold: HELD });
    const agent = await agentWithCloud({
      rulesDir: rulesDir(STEADY_RULES),
      rules: { staleAfter: '2500ms' },
      opcua: [{ id: 'cnc', url: sim.endpointUrl, publishingInterval: '100ms', nodes }],
    });
    const fires = async (rule: string) => {
      const metrics = await (await fetch(`${agent.agent.statusUrl}/metrics`)).text();
      return Number(
        new RegExp(`plantwatch_edge_rule_outcomes_total\\{rule="${rule}",kind="fire"\\} (\\d+)`).exec(
          metrics,
        )?.[1] ?? 0,
      );
    };
    return { sim, ...agent, fires };
  }

  // Two more tries: it failed once in CI (sensor-silent fired 3 times) while the chaos test loaded
  // both cores beside it, which can hold a 1 s keep-alive past the rule's 2 s fuse. Steady values
  // that were not held current would fire it in every try.
  it(
    'raises the coolant ticket from held speed and flow, and no false sensor_fault',
    { retry: 2 },
    async () => {
      const startedAt = Date.now();
      const { cloudTickets, fires } = await steadyAgent(SCALARS);
      const ticket = await waitFor(
        async () => (await cloudTickets()).find((t) => t.rule.id === 'spindle-coolant-starved'),
        'the coolant-starved ticket',
        20_000,
      );
      expect(ticket.evidence.triggeringValues.find((v) => v.metric === 'coolant_flow')?.value).toBe(8);
      // Speed and flow held for longer than staleAfter (2.5 s) and noData (2 s) three times over.
      await waitFor(() => Date.now() - startedAt > 8000, '8 s of steady tags', 15_000);
      expect(await fires('sensor-silent')).toBe(0);
      expect((await cloudTickets()).filter((t) => t.fault === 'sensor_fault')).toEqual([]);
    },
  );

  it('lets a node frozen past its maxSilence go stale among live ones, and every node of a dead server', async () => {
    const [speed, temperature, flow] = SCALARS;
    const { sim, agent, cloudTickets } = await steadyAgent([
      speed!,
      temperature!,
      { ...flow!, maxSilence: '1s' },
    ]);
    const silentChannels = async () =>
      new Set(
        (await cloudTickets()).filter((t) => t.fault === 'sensor_fault').map((t) => t.evidence.channel),
      );
    await waitFor(async () => (await silentChannels()).has('coolant_flow'), 'the frozen flow to go silent');
    expect(await silentChannels()).toEqual(new Set(['coolant_flow']));

    await sim.stop();
    await waitFor(
      async () => (await silentChannels()).size === 3,
      'every channel of the dead server to go silent',
      15_000,
    );
    expect(agent.status().sources.find((s) => s.id === 'cnc')?.state).toBe('reconnecting');
  });
});
