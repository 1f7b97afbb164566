import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import { measurementTopic, type Ticket } from '../shared/schema/index.js';
import { rulesDir } from './helpers/rules.js';
import { capturingLogger, removeTempDirs, startTestCloud, testEdgeConfig, waitFor } from './helpers/stack.js';
import { cloudTickets } from './helpers/cloud-client.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

const SPINDLE = `rules:
  - id: spindle-coolant
    title: Spindle hot, coolant low
    when: spindle_temperature > 65 and coolant_flow < 12
    runningWhen: spindle_speed > 100
    severity: high
    fault: overheating
    action: SOP-CNC-05
`;
const SILENT = `rules:
  - id: silent
    title: Sensor silent
    noData: 1500ms
    severity: medium
    fault: sensor_fault
    action: SOP-INS-01
`;

async function stack(files: Record<string, string>) {
  const cloud = await startTestCloud();
  running.push(cloud);
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  const dir = rulesDir(files);
  const { logger, lines } = capturingLogger();
  const agent = await startEdgeAgent(
    testEdgeConfig({ cloud: { url: cloud.url, token }, rulesDir: dir }),
    logger,
  );
  running.push(agent);
  const client = await mqtt.connectAsync(agent.brokerUrl);
  running.push({ stop: () => client.endAsync() });
  const publish = (channel: string, value: number, unit: string) =>
    client.publishAsync(
      measurementTopic('plantwatch', 'cnc-1', channel, 'reading'),
      JSON.stringify({ value, unit, ts: Date.now() }),
      { qos: 1 },
    );
  const tickets = (): Promise<Ticket[]> => cloudTickets(cloud);
  return { agent, dir, lines, publish, tickets };
}

describe('rules on a running agent', () => {
  it('raises the multi-signal ticket from readings and carries it to the cloud', async () => {
    const { publish, tickets } = await stack({ 'spindle.yaml': SPINDLE });
    await publish('spindle_speed', 3000, 'rpm');
    await publish('coolant-flow', 8, 'L/min');
    await publish('spindle_temperature', 71, '°C');
    const [ticket] = await waitFor(async () => {
      const found = await tickets();
      return found.length > 0 && found;
    }, 'the overheating ticket in the cloud');
    expect(ticket).toMatchObject({
      assetId: 'cnc-1',
      fault: 'overheating',
      severity: 'high',
      priority: 'P2',
    });
    // Each value names the telemetry series that shows it (shared/trend-series.ts), as the cloud stores it.
    expect(ticket?.evidence.triggeringValues).toEqual([
      {
        metric: 'spindle_temperature',
        value: 71,
        threshold: 65,
        comparison: '>',
        unit: '°C',
        series: { channel: 'spindle_temperature', field: 'value', threshold: 65 },
      },
      {
        metric: 'coolant_flow',
        value: 8,
        threshold: 12,
        comparison: '<',
        unit: 'L/min',
        series: { channel: 'coolant_flow', field: 'value', threshold: 12 },
      },
    ]);
  });

  it('hot-reloads rules: a broken edit keeps the last good rules running and is reported', async () => {
    const { agent, dir, lines, publish, tickets } = await stack({ 'spindle.yaml': SPINDLE });
    const before = agent.status().rules;
    expect(before.map((r) => r.id)).toEqual(['spindle-coolant']);

    writeFileSync(join(dir, 'spindle.yaml'), SPINDLE.replace('coolant_flow < 12', 'coolant_flow <'));
    await waitFor(() => agent.status().ruleProblems.length > 0, 'the broken edit to be reported');
    expect(agent.status().ruleProblems[0]).toMatch(
      /spindle\.yaml:4: rules\/0\/when: syntax error at column \d+: Expected expression after </,
    );
    expect(agent.status().rules).toEqual(before);
    expect(
      lines().some((l) =>
        String(l.msg).startsWith('rule files have errors; the previous 1 rules keep running'),
      ),
    ).toBe(true);
    // The last good rule still fires.
    await publish('spindle_speed', 3000, 'rpm');
    await publish('coolant_flow', 8, 'L/min');
    await publish('spindle_temperature', 71, '°C');
    await waitFor(async () => (await tickets()).length === 1, 'the ticket from the last good rule');

    // A fixed edit (a new threshold) takes over, with a new version.
    writeFileSync(join(dir, 'spindle.yaml'), SPINDLE.replace('> 65', '> 60'));
    await waitFor(
      () =>
        agent.status().ruleProblems.length === 0 && agent.status().rules[0]?.version !== before[0]?.version,
      'the fixed rules to load',
    );
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toMatch(/plantwatch_edge_rule_reloads_total\{result="rejected"\} [1-9]/);
    expect(metrics).toMatch(/plantwatch_edge_rule_reloads_total\{result="ok"\} [1-9]/);
  });

  it('raises sensor_fault for a channel that falls silent, not a machine fault', async () => {
    const { publish, tickets } = await stack({ 'spindle.yaml': SPINDLE, 'silent.yaml': SILENT });
    await publish('spindle_temperature', 40, '°C');
    const [ticket] = await waitFor(async () => {
      const found = await tickets();
      return found.length > 0 && found;
    }, 'a sensor_fault ticket');
    expect(ticket).toMatchObject({ assetId: 'cnc-1', fault: 'sensor_fault', rule: { id: 'silent' } });
    expect(ticket?.evidence.channel).toBe('spindle_temperature');
    expect(ticket?.evidence.reasoning[0]).toMatch(/^no good value from channel spindle_temperature for/);
    expect((await tickets()).every((t) => t.fault === 'sensor_fault')).toBe(true);
  });
});
