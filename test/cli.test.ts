import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ticket } from '../shared/schema/index.js';
import { runCli, start, startCli, stopChildren } from './helpers/processes.js';
import { freePort, removeTempDirs, tempDir, waitFor } from './helpers/stack.js';

afterEach(async () => {
  await stopChildren();
  removeTempDirs();
});

const tickets = async (url: string, token: string): Promise<Ticket[]> => {
  try {
    const response = await fetch(`${url}/api/v1/tickets`, { headers: { authorization: `Bearer ${token}` } });
    return ((await response.json()) as { tickets: Ticket[] }).tickets;
  } catch {
    return [];
  }
};

describe('plantwatch CLI on real processes', () => {
  it('runs cloud, edge on an external mosquitto broker, and the simulator as separate commands', async () => {
    const dir = tempDir();
    const [mqttPort, cloudPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
    );
    const mosquitto = start('mosquitto', ['-c', join(dir, 'mosquitto.conf')]);
    const db = join(dir, 'cloud.db');

    const created = await runCli(['cloud', 'tokens', 'create', 'gw-cli', '--site', 'plant-7', '--db', db]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pwgw_[A-Za-z0-9_-]{43}$/);

    // The review API wants a user: a viewer with an API token, made the way an operator would.
    expect((await runCli(['cloud', 'users', 'create', 'reader', '--role', 'viewer', '--db', db])).code).toBe(
      0,
    );
    const reader = await runCli(['cloud', 'users', 'token', 'reader', '--db', db]);
    expect(reader.code).toBe(0);
    const readerToken = reader.stdout.trim();
    expect(readerToken).toMatch(/^pwu_/);

    const cloud = startCli(['cloud', '--port', String(cloudPort), '--db', db]);
    const cloudUrl = `http://127.0.0.1:${cloudPort}`;
    await waitFor(async () => (await fetch(`${cloudUrl}/healthz`).catch(() => undefined))?.ok, 'cloud up');

    writeFileSync(
      join(dir, 'edge.yaml'),
      [
        'gatewayId: gw-cli',
        'site: plant-7',
        'dataDir: ./edge-data',
        `http: { port: ${edgePort} }`,
        `mqtt: { url: "mqtt://127.0.0.1:${mqttPort}" }`,
        `cloud: { url: "${cloudUrl}", token: "\${GATEWAY_TOKEN}", retryMax: 1s }`,
      ].join('\n'),
    );
    await waitFor(
      () => mosquitto.output().includes('running') || mosquitto.process.exitCode === null,
      'mosquitto',
    );
    const edge = startCli(['edge', '--config', join(dir, 'edge.yaml')], { GATEWAY_TOKEN: token });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${edgePort}/healthz`).catch(() => undefined))?.ok,
      'edge up',
    );

    // A malformed message from a real MQTT client does not disturb the agent.
    const pub = start('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mqttPort),
      '-q',
      '1',
      '-t',
      'plantwatch/pump-9/de/waveform',
      '-m',
      '{"samples": "oops"',
    ]);
    expect(await pub.exited).toBe(0);

    const sim = startCli([
      'sim',
      'vibration',
      '--broker',
      `mqtt://127.0.0.1:${mqttPort}`,
      '--asset',
      'pump-9',
      '--fault',
      'unbalance',
      '--ramp',
      '5',
      '--speed',
      '20x',
      '--samples',
      '4096',
    ]);
    const [ticket] = await waitFor(async () => {
      const list = await tickets(cloudUrl, readerToken);
      return list.length > 0 && list;
    }, 'a ticket in the cloud').catch((error) => {
      throw new Error(
        `${error.message}\n--- edge:\n${edge.output()}\n--- cloud:\n${cloud.output()}\n--- sim:\n${sim.output()}\n--- mosquitto:\n${mosquitto.output()}`,
      );
    });
    expect(ticket).toMatchObject({ gatewayId: 'gw-cli', site: 'plant-7', assetId: 'pump-9' });

    const status = (await (await fetch(`http://127.0.0.1:${edgePort}/api/v1/status`)).json()) as {
      counters: { rejected: number };
      sources: { state: string }[];
      analysisTransforms: { engine: string; plansBeingRefined: number };
    };
    expect(status.counters.rejected).toBe(1);
    expect(status.sources[0]?.state).toBe('connected');
    // The analysis runs on the native kernels (CI installs FFTW), and says how many plans it refines.
    expect(status.analysisTransforms.engine).toBe('fftw');
    expect(status.analysisTransforms.plansBeingRefined).toBeGreaterThanOrEqual(0);
    expect(edge.output()).toContain('rejected measurement on plantwatch/pump-9/de/waveform');
    expect(edge.output()).not.toContain(token);
    expect(cloud.output()).not.toContain(token);

    // Ctrl-C shuts each one down cleanly.
    expect(await sim.stop('SIGINT')).toBe(0);
    expect(await edge.stop('SIGINT')).toBe(0);
    expect(await cloud.stop('SIGINT')).toBe(0);
  });

  it('npm start (plantwatch demo) raises the pump, bearing, prediction and CNC tickets with console links, and stops on Ctrl-C saying where its data is', async () => {
    const demo = startCli(['demo', '--port', '0', '--speed', '4']);
    try {
      // The ticket line and its link line may arrive in separate chunks: wait for the link itself.
      // The link opens the console on the ticket (an API URL would answer a browser with a 401).
      const consoleLink =
        /ticket in the cloud: pump-1.*\n\s+(http:\/\/127\.0\.0\.1:\d+)\/#\/tickets\/([0-9A-Z]{26})\n/;
      const link = await waitFor(
        () => consoleLink.exec(demo.output()),
        'the demo ticket and its link',
        60_000,
      );
      const [, base, id] = link ?? [];
      expect(demo.output()).toMatch(/log in as 'engineer' with password \S+/);
      expect(demo.output()).toContain(`Next: open ${base}/#/plant`);
      // The demo prints an engineer's API token to read it with.
      const apiToken = /Bearer (pwu_[A-Za-z0-9_-]+)/.exec(demo.output())?.[1];
      const api = async <T>(path: string) =>
        (await (
          await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiToken}` } })
        ).json()) as T;
      expect((await api<Ticket>(`/api/v1/tickets/${id}`)).assetId).toBe('pump-1');
      // The machines are in the registry (before: /api/v1/assets was empty), so the plant overview
      // shows them under their areas.
      const { assets } = await api<{ assets: { assetId: string; group?: string }[] }>('/api/v1/assets');
      expect(assets.map((a) => `${a.assetId}@${a.group}`)).toEqual([
        'cnc-1@Machining',
        'pump-1@Cooling water',
        'pump-2@Cooling water',
      ]);
      const plant = await api<{ sites: { areas: { area: string }[] }[] }>('/api/v1/plant');
      expect(plant.sites[0]?.areas.map((a) => a.area).sort()).toEqual(['Cooling water', 'Machining']);
      // The console page itself is served at the link's base.
      expect((await fetch(`${base}/`)).headers.get('content-type')).toContain('text/html');
      // pump-2's bearing is configured: its outer-race ticket carries the envelope spectrum with BPFO
      // marked, and a prediction ticket a predicted date.
      await waitFor(
        () => /ticket in the cloud: pump-2: Outer-race defect/.test(demo.output()),
        'the bearing ticket',
        45_000,
      );
      const { tickets } = await api<{ tickets: Ticket[] }>('/api/v1/tickets?asset=pump-2&limit=50');
      const bearing = tickets.find((t) => t.fault === 'outer_race');
      expect(bearing?.evidence.envelopeSpectrum?.marks?.map((m) => m.label)).toContain('BPFO');
      const predicted = tickets.find((t) => t.prediction);
      expect(predicted?.prediction?.metric).toBe('velocityRmsMmS');
      expect(Date.parse(predicted!.dueAt!)).toBeLessThanOrEqual(
        Date.parse(predicted!.prediction!.intervalStart) + 1000,
      );
      // The CNC read over OPC-UA: its coolant pump fails and the multi-signal rule fires.
      await waitFor(
        () => /ticket in the cloud: cnc-1: Spindle overheating with low coolant flow/.test(demo.output()),
        'the CNC ticket',
        45_000,
      );
      // Status lines every 30 s, not every 5: a ticket line is news, the rest is the same machine.
      const statusLines = demo
        .output()
        .split('\n')
        .filter((line) => /^\[[\d.]+ s\] pump-1 /.test(line));
      expect(statusLines.length).toBeLessThanOrEqual(3);
      expect(await demo.stop('SIGINT')).toBe(0);
      expect(demo.output()).toMatch(
        /stays in \S*plantwatch-demo-\S+; reopen its console with: npx plantwatch cloud --db /,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- demo output:\n${demo.output()}`, { cause: error });
    }
  }, 180_000);

  it('manages gateway tokens: bound to sites, listed with id and last use, rotated, rebound', async () => {
    const db = join(tempDir(), 'cloud.db');
    const unbound = await runCli(['cloud', 'tokens', 'create', 'gw-t', '--db', db]);
    expect(unbound.code).not.toBe(0);
    expect(unbound.output).toContain("required option '--site <site>' not specified");
    const created = await runCli([
      'cloud',
      'tokens',
      'create',
      'gw-t',
      '--site',
      'plant-a',
      '--expires',
      '90d',
      '--db',
      db,
    ]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pwgw_/);
    const rotated = await runCli(['cloud', 'tokens', 'rotate', 'gw-t', '--grace', '1h', '--db', db]);
    expect(rotated.code).toBe(0);
    expect(rotated.output).toMatch(/its previous tokens stay valid until \d{4}-\d\d-\d\dT/);
    const rebound = await runCli([
      'cloud',
      'tokens',
      'sites',
      'gw-t',
      '--site',
      'plant-a',
      '--site',
      'plant-b',
      '--db',
      db,
    ]);
    expect(rebound.output).toContain("bound 2 token(s) of gateway 'gw-t' to sites plant-a, plant-b");
    const list = await runCli(['cloud', 'tokens', 'list', '--db', db]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        /^[0-9a-f]{12}\tgw-t\tpwgw_.{5}…\tsites plant-a,plant-b\tcreated \S+\texpires \S+\tlast used never$/,
      );
    }
    // The secrets themselves are never shown again.
    expect(list.output).not.toContain(token);
    expect(list.output).not.toContain(rotated.stdout.trim());
    const badGrace = await runCli(['cloud', 'tokens', 'rotate', 'gw-t', '--grace', 'soon', '--db', db]);
    expect(badGrace.output).toContain("'soon' is not a duration");
  });

  it('rejects a bad config with file, line and field', async () => {
    const dir = tempDir();
    const file = join(dir, 'edge.yaml');
    writeFileSync(file, 'gatewayId: gw-1\nsite: s\ncloud:\n  url: ftp://x\n  token: short\n');
    const result = await runCli(['edge', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`${file}:4: cloud/url: must match pattern`);
    expect(result.output).toContain(`${file}:5: cloud/token: must NOT have fewer than 16 characters`);
  });

  it('rejects bad flags with the flag and what it accepts', async () => {
    const result = await runCli(['sim', 'vibration', '--fault', 'gremlins']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      "option '--fault <kind>' argument 'gremlins' is invalid. expected one of healthy, unbalance, outer-race",
    );
    const port = await runCli(['cloud', '--port', 'eighty']);
    expect(port.code).not.toBe(0);
    expect(port.output).toContain("expected an integer from 0 to 65535, got 'eighty'");
  });

  it('checks rule files and exits non-zero on errors', async () => {
    const ok = await runCli(['rules', 'check']);
    expect(ok.code).toBe(0);
    expect(ok.output).toMatch(/\d+ rules ok/);
    const dir = tempDir();
    writeFileSync(
      join(dir, 'r.yaml'),
      'rules:\n  - id: x1\n    title: t\n    metric: finding.nope\n    above: 1\n    severity: high\n    fault: threshold\n    action: a\n',
    );
    const bad = await runCli(['rules', 'check', dir]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain(`${join(dir, 'r.yaml')}:4: rules/0/metric: 'finding.nope' names no fault`);
  });
});
