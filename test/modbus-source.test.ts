import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import type { EdgeConfigFile } from '../edge/config.js';
import type { ModbusDevice } from '../edge/sources/modbus/modbus-config.js';
import type { Ticket } from '../shared/schema/index.js';
import { type ModbusSimulatorOptions, startModbusSimulator } from '../simulators/modbus/modbus-simulator.js';
import { cloudTickets as ticketsInCloud } from './helpers/cloud-client.js';
import { type Child, startCli } from './helpers/processes.js';
import { rulesDir } from './helpers/rules.js';
import {
  freePort,
  removeTempDirs,
  silentLogger,
  startTestCloud,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

async function simulator(options: Partial<ModbusSimulatorOptions> = {}) {
  const sim = await startModbusSimulator({ port: 0, ...options });
  running.push(sim);
  return sim;
}

/** The simulated drive's registers as the agent maps them (its manual's register map). */
const DRIVE_REGISTERS: ModbusDevice['registers'] = [
  {
    assetId: 'pump-1',
    channel: 'motor_current',
    table: 'holding',
    address: 0,
    type: 'int16',
    scale: 0.1,
    unit: 'A',
  },
  { assetId: 'pump-1', channel: 'speed', table: 'holding', address: 1, type: 'uint16', unit: 'rpm' },
  {
    assetId: 'pump-1',
    channel: 'bearing_temperature',
    table: 'holding',
    address: 2,
    type: 'float32',
    unit: 'degC',
  },
  {
    assetId: 'pump-1',
    channel: 'run_time',
    table: 'holding',
    address: 4,
    type: 'uint32',
    wordOrder: 'little',
    unit: 's',
  },
  { assetId: 'pump-1', channel: 'running', table: 'coil', address: 0, unit: '1' },
];

const device = (id: string, port: number, extra: Partial<ModbusDevice> = {}): ModbusDevice => ({
  id,
  host: '127.0.0.1',
  port,
  pollInterval: '200ms',
  timeout: '500ms',
  reconnectMaxDelay: '1s',
  registers: DRIVE_REGISTERS,
  ...extra,
});

const OVERHEAT_RULES = {
  'drive.yaml': `rules:
  - id: drive-bearing-hot
    title: Drive bearing hot
    when: bearing_temperature > 80 and running > 0
    clearWhen: bearing_temperature < 70
    for: 1s
    severity: high
    fault: overheating
    action: SOP-BRG-03
  - id: seal-leak
    title: Seal leak detector open
    when: seal_ok < 1
    for: 500ms
    severity: high
    fault: threshold
    action: SOP-SEAL-01
`,
};

/** An edge agent reading Modbus, with a cloud to send its tickets to. */
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
  const metrics = async () => (await fetch(`${agent.statusUrl}/metrics`)).text();
  return { agent, cloudTickets, metrics };
}

const reading = (
  agent: { status(): { latestReadings: { channel: string; value: number; quality?: string; ts: number }[] } },
  channel: string,
) => agent.status().latestReadings.find((r) => r.channel === channel);

describe('Modbus TCP source against the simulator', () => {
  it('decodes the drive, raises the overheat ticket in the cloud; an exception block reads bad and raises none', async () => {
    const sim = await simulator({
      scenario: 'bearing-overheat',
      rampS: 4,
      exceptions: [{ table: 'holding', address: 50 }],
    });
    const { agent, cloudTickets, metrics } = await agentWithCloud({
      rulesDir: rulesDir(OVERHEAT_RULES),
      modbus: [
        device('drive-7', sim.port, {
          registers: [
            ...DRIVE_REGISTERS,
            // Far from the others (its own request); the device answers it with illegal data address.
            { assetId: 'pump-1', channel: 'seal_ok', table: 'holding', address: 50, unit: '1' },
          ],
        }),
      ],
    });
    const first = await waitFor(
      // Each register block and the coils are requests of their own: wait for every channel.
      () =>
        ['speed', 'motor_current', 'bearing_temperature', 'run_time', 'running'].every((channel) =>
          reading(agent, channel),
        ) && agent.status(),
      'the first decoded readings',
    );
    const byChannel = new Map(first.latestReadings.map((r) => [r.channel, r]));
    expect(byChannel.get('speed')).toMatchObject({ assetId: 'pump-1', unit: 'rpm', quality: 'good' });
    expect(byChannel.get('speed')!.value).toBeGreaterThan(1470);
    expect(byChannel.get('speed')!.value).toBeLessThan(1490);
    expect(byChannel.get('motor_current')!.value).toBeGreaterThan(11.5);
    expect(byChannel.get('motor_current')!.value).toBeLessThan(14);
    expect(byChannel.get('bearing_temperature')!.value).toBeGreaterThan(44);
    expect(byChannel.get('run_time')!.value).toBeGreaterThanOrEqual(3_600_000);
    expect(byChannel.get('run_time')!.value).toBeLessThan(3_600_100);
    expect(byChannel.get('running')).toMatchObject({ value: 1, quality: 'good' });

    const [ticket] = await waitFor(async () => {
      const tickets = await cloudTickets();
      return tickets.length > 0 && tickets;
    }, 'the overheat ticket in the cloud');
    expect(ticket).toMatchObject({ assetId: 'pump-1', fault: 'overheating', severity: 'high' });
    const temperature = ticket!.evidence.triggeringValues.find((v) => v.metric === 'bearing_temperature');
    expect(temperature?.value).toBeGreaterThan(80);
    expect(temperature?.value).toBeLessThan(96);

    // The block with the exception: bad readings, the reason counted, never a ticket.
    expect(reading(agent, 'seal_ok')).toMatchObject({ quality: 'bad' });
    const exposition = await metrics();
    const illegal =
      /plantwatch_edge_modbus_errors_total\{device="drive-7",reason="illegal_address"\} (\d+)/.exec(
        exposition,
      );
    expect(Number(illegal?.[1])).toBeGreaterThan(3);
    const tickets = await cloudTickets();
    expect(tickets).toHaveLength(1);
    expect(tickets[0]?.title).toMatch(
      /^pump-1: Drive bearing hot, bearing temperature \d+ degC, above 80 degC/,
    );
    expect(exposition).not.toContain('rule="seal-leak",kind="fire"');
    const source = agent.status().sources.find((s) => s.id === 'drive-7');
    expect(source).toMatchObject({ kind: 'modbus', state: 'connected', connects: 1, rejected: 0 });
    expect(source?.lastError).toMatch(
      /holding 50 of unit 1 at 127\.0\.0\.1:\d+: Modbus exception 2 \(illegal data address\)/,
    );
    expect(exposition).toContain('plantwatch_edge_source_up{source="drive-7"} 1');
  });

  it('a device that stops answering or refuses connections does not delay another one', async () => {
    const live = await simulator();
    const hung = await simulator();
    hung.silent = true;
    const closedPort = await freePort();
    const { agent, metrics } = await agentWithCloud({
      rulesDir: rulesDir(OVERHEAT_RULES),
      modbus: [
        device('hung', hung.port, { timeout: '500ms' }),
        device('closed', closedPort, {
          registers: [{ assetId: 'pump-3', channel: 'speed', table: 'holding', address: 1, unit: 'rpm' }],
        }),
        device('live', live.port, {
          registers: [{ assetId: 'pump-2', channel: 'speed', table: 'holding', address: 1, unit: 'rpm' }],
        }),
      ],
    });
    // Sample the live device's reading times while the others time out and are refused.
    const seen = new Set<number>();
    const startedAt = Date.now();
    while (Date.now() - startedAt < 4000) {
      const r = agent.status().latestReadings.find((x) => x.assetId === 'pump-2');
      if (r) seen.add(r.ts);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const times = [...seen].sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 200 ms polls: about 20 readings in 4 s, no gap as long as the hung device's 500 ms timeout
    // (a loop shared with it would wait that out for each of its blocks, every poll).
    expect(times.length).toBeGreaterThan(14);
    expect(Math.max(...gaps)).toBeLessThan(500);
    const exposition = await metrics();
    expect(exposition).toMatch(/plantwatch_edge_modbus_errors_total\{device="hung",reason="timeout"\} [1-9]/);
    expect(exposition).toMatch(
      /plantwatch_edge_modbus_errors_total\{device="closed",reason="connection_refused"\} [1-9]/,
    );
    const sources = new Map(agent.status().sources.map((s) => [s.id, s]));
    expect(sources.get('closed')).toMatchObject({
      state: 'connecting',
      lastError: `connection refused at 127.0.0.1:${closedPort}: is the device on and is the port right?`,
    });
    expect(sources.get('hung')?.lastError).toMatch(/(got no answer|answered no request) within 0\.5 s/);
    expect(sources.get('live')).toMatchObject({ state: 'connected', connects: 1 });
    // The device down since boot reads bad, though it never delivered a value: its rules see unknown.
    expect(
      agent.status().latestReadings.find((r) => r.assetId === 'pump-3' && r.channel === 'speed'),
    ).toMatchObject({ quality: 'bad' });
    expect(
      agent.status().latestReadings.find((r) => r.assetId === 'pump-2' && r.channel === 'speed'),
    ).toMatchObject({ quality: 'good' });
    // The hung device's channels read bad while it times out: its rules see unknown, not a value.
    expect(
      agent.status().latestReadings.find((r) => r.assetId === 'pump-1' && r.channel === 'speed'),
    ).toMatchObject({
      quality: 'bad',
    });
  });
});

describe('a mapped register that never delivers', () => {
  it('raises the silent-sensor ticket for its channel though the device was never reached', async () => {
    const closedPort = await freePort();
    const { cloudTickets } = await agentWithCloud({
      rulesDir: rulesDir({
        'silent.yaml':
          'rules:\n  - id: silent\n    title: Sensor silent\n    noData: 1500ms\n    severity: medium\n    fault: sensor_fault\n    action: SOP-INS-01\n',
      }),
      modbus: [
        device('drive-9', closedPort, {
          registers: [
            { assetId: 'pump-9', channel: 'oil_pressure', table: 'input', address: 3, unit: 'bar' },
          ],
        }),
      ],
    });
    const ticket = await waitFor(
      async () => (await cloudTickets()).find((t) => t.fault === 'sensor_fault'),
      'the silent-sensor ticket',
    );
    expect(ticket).toMatchObject({ assetId: 'pump-9', evidence: { channel: 'oil_pressure' } });
  });
});

describe('plantwatch sim modbus (the built CLI)', () => {
  let sim: Child | undefined;
  afterEach(async () => {
    await sim?.stop('SIGKILL');
  });

  it('prints its endpoint and a config fragment; the source reconnects after the simulator restarts', async () => {
    const port = await freePort();
    const startSim = async () => {
      const child = startCli(['sim', 'modbus', '--port', String(port), '--scenario', 'normal']);
      // The simulator prints line by line: wait for the fragment's last line, not just its heading.
      await waitFor(
        () => child.output().includes('channel: overtemperature, table: discrete'),
        'the simulator to start',
        15_000,
      );
      return child;
    };
    sim = await startSim();
    expect(sim.output()).toContain(`endpoint      modbus-tcp://127.0.0.1:${port}`);
    expect(sim.output()).toContain(
      '      - { assetId: pump-1, channel: bearing_temperature, table: holding, address: 2, type: float32, wordOrder: big, unit: degC }',
    );
    const { agent } = await agentWithCloud({
      rulesDir: rulesDir(OVERHEAT_RULES),
      modbus: [device('drive-7', port)],
    });
    await waitFor(() => reading(agent, 'bearing_temperature'), 'readings before the restart');
    const source = () => agent.status().sources.find((s) => s.id === 'drive-7')!;

    const killedAt = Date.now();
    await sim.stop('SIGKILL');
    // The last good values do not stand while the device is gone: every channel reads bad, soon.
    await waitFor(
      () =>
        reading(agent, 'bearing_temperature')?.quality === 'bad' &&
        reading(agent, 'running')?.quality === 'bad',
      'bad readings after the kill',
    );
    expect(Date.now() - killedAt).toBeLessThan(1500);
    await waitFor(() => source().state === 'reconnecting' && source(), 'the source to notice');
    await waitFor(() => source().lastError?.startsWith('connection refused'), 'a refused reconnection');
    expect(source().lastError).toBe(
      `connection refused at 127.0.0.1:${port}: is the device on and is the port right?`,
    );

    sim = await startSim();
    const backAt = Date.now();
    await waitFor(() => source().state === 'connected' && (source().connects ?? 0) === 2, 'the reconnection');
    await waitFor(() => (reading(agent, 'bearing_temperature')?.ts ?? 0) > backAt, 'fresh readings');
    // 1 s backoff cap, 200 ms polls: data again within about 1.5 s of the simulator listening.
    expect(Date.now() - backAt).toBeLessThan(3000);
    expect(reading(agent, 'bearing_temperature')).toMatchObject({ quality: 'good' });
  });
});
