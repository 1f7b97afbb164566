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
    };
    expect(status.counters.rejected).toBe(1);
    expect(status.sources[0]?.state).toBe('connected');
    expect(edge.output()).toContain('rejected measurement on plantwatch/pump-9/de/waveform');
    expect(edge.output()).not.toContain(token);
    expect(cloud.output()).not.toContain(token);

    // Ctrl-C shuts each one down cleanly.
    expect(await sim.stop('SIGINT')).toBe(0);
    expect(await edge.stop('SIGINT')).toBe(0);
    expect(await cloud.stop('SIGINT')).toBe(0);
  });

  it('npm start (plantwatch demo) raises the pump and CNC tickets that the cloud shows, and stops on Ctrl-C', async () => {
    const demo = startCli(['demo', '--port', '0', '--speed', '4']);
    try {
      // The ticket line and its URL line may arrive in separate chunks: wait for the URL itself.
      const ticketUrl =
        /ticket in the cloud: .*\n\s+(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/tickets\/[0-9A-Z]{26})\n/;
      const url = await waitFor(
        () => ticketUrl.exec(demo.output())?.[1],
        'the demo ticket and its URL',
        25_000,
      );
      // The demo prints an engineer's API token to read it with.
      const apiToken = /Bearer (pwu_[A-Za-z0-9_-]+)/.exec(demo.output())?.[1];
      expect((await fetch(url ?? '')).status).toBe(401);
      const ticket = (await (
        await fetch(url ?? '', { headers: { authorization: `Bearer ${apiToken}` } })
      ).json()) as Ticket;
      expect(ticket.assetId).toBe('pump-1');
      // The CNC read over OPC-UA: its coolant pump fails and the multi-signal rule fires.
      await waitFor(
        () => /ticket in the cloud: cnc-1: Spindle overheating with low coolant flow/.test(demo.output()),
        'the CNC ticket',
        45_000,
      );
      expect(await demo.stop('SIGINT')).toBe(0);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- demo output:\n${demo.output()}`, { cause: error });
    }
  }, 90_000);

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
