import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import { loadEdgeConfig } from '../edge/config.js';
import { createEdgeMetrics } from '../edge/metrics.js';
import { resendDeadLetters } from '../edge/outbox/dead-letters.js';
import { Outbox } from '../edge/outbox/outbox.js';
import { Replicator } from '../edge/replicate/replicator.js';
import type { RunningCloud } from '../cloud/server.js';
import type { GatewayView, OutboxEvent, Ticket } from '../shared/schema/index.js';
import { cloudJson } from './helpers/cloud-client.js';
import { CLOUD_STORES, newCloudDatabase } from './helpers/cloud-databases.js';
import { runCli } from './helpers/processes.js';
import {
  capturingLogger,
  freePort,
  removeTempDirs,
  startTestCloud,
  tempDir,
  waitFor,
} from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  removeTempDirs();
});

const gatewayOf = async (cloud: RunningCloud, gatewayId: string): Promise<GatewayView | undefined> =>
  (await cloudJson<{ gateways: GatewayView[] }>(cloud, '/api/v1/gateways')).gateways.find(
    (g) => g.gatewayId === gatewayId,
  );

/** A ticket the cloud's schema refuses: its evidence window starts in the year 58000. */
const poisonTicket = (gatewayId: string): Ticket => {
  const ticket = sampleTicket({ gatewayId, assetId: 'pump-9' });
  return { ...ticket, evidence: { ...ticket.evidence, windowStart: '58000-01-01T00:00:00.000Z' } };
};

/** The poison event first, then three ordinary tickets: one on the poison's asset, two on others. */
function writeOutbox(path: string, gatewayId: string, poison: Ticket): Ticket[] {
  const outbox = new Outbox(path, gatewayId);
  const at = new Date().toISOString();
  const ordinary = ['pump-9', 'fan-2', 'press-4'].map((assetId) => sampleTicket({ gatewayId, assetId }));
  outbox.transaction(() => {
    outbox.append('ticket.opened', poison, at);
    for (const ticket of ordinary) outbox.append('ticket.opened', ticket, at);
  });
  outbox.close();
  return ordinary;
}

describe.each(CLOUD_STORES)('a poison event on a %s cloud', (kind) => {
  it('is set aside after maxAttempts refusals while the tickets behind it reach the cloud, and is delivered once resent after a fix', async () => {
    const cloud = await startTestCloud({ db: await newCloudDatabase(kind) });
    cleanups.push(() => cloud.stop());
    const token = await cloud.store.access.createGatewayToken('gw-dl', { sites: ['site-a', 'test-site'] });
    const path = join(tempDir(), 'outbox.db');
    const poison = poisonTicket('gw-dl');
    const ordinary = writeOutbox(path, 'gw-dl', poison);

    let outbox = new Outbox(path, 'gw-dl');
    cleanups.push(() => outbox.close());
    const log = capturingLogger();
    const replicatorOn = (box: Outbox) => {
      const replicator = new Replicator({
        outbox: box,
        gatewayId: 'gw-dl',
        cloudUrl: cloud.url,
        token,
        batchMaxEvents: 100,
        batchMaxBytes: 1_000_000,
        backoff: { initialMs: 20, maxMs: 100 },
        requestTimeoutMs: 5000,
        compress: true,
        maxAttempts: 3,
        logger: log.logger,
      });
      cleanups.push(() => replicator.stop());
      replicator.start();
      return replicator;
    };
    const replicator = replicatorOn(outbox);

    // The three tickets behind the refused one reach the cloud.
    for (const ticket of ordinary) {
      await waitFor(
        async () => (await cloud.store.review.get(ticket.id)) !== undefined,
        `ticket ${ticket.assetId}`,
      );
    }
    await waitFor(
      () => outbox.stats().pending === 0 && replicator.health().state === 'idle',
      'the outbox drained',
    );
    // The refused one is set aside, on disk, with the cloud's reason and the attempts it had.
    const [letter, ...others] = outbox.deadLetters();
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      seq: 1,
      type: 'ticket.opened',
      ticketId: poison.id,
      assetId: 'pump-9',
      attempts: 3,
    });
    expect(letter?.reason).toMatch(/^400 .*body\/events\/0\/ticket\/evidence\/windowStart/);
    expect(outbox.stats()).toMatchObject({
      ackedSeq: 0,
      settledSeq: 4,
      deadLetters: 1,
      lastDeadLetter: { seq: 1 },
    });
    expect(replicator.health().setAsideEvents).toBe(1);
    // Said once, with the reason and how to resend it.
    const setAsideLines = log
      .lines()
      .filter((l) => String(l.msg).includes('set aside after the cloud refused it'));
    expect(setAsideLines).toHaveLength(1);
    expect(setAsideLines[0]).toMatchObject({ level: 50, seq: 1, ticketId: poison.id });
    expect(String(setAsideLines[0]?.msg)).toContain('plantwatch outbox resend 1');

    // Counted in the agent's metrics.
    const metrics = createEdgeMetrics({ outbox, replicator, sources: () => [] });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^plantwatch_edge_outbox_dead_letters 1$/m);
    expect(text).toMatch(/^plantwatch_edge_outbox_set_aside_events_total 1$/m);
    expect(text).toMatch(/^plantwatch_edge_outbox_pending 0$/m);

    // The cloud's watermark stays below it, and its gap says why; nothing was sent twice.
    const gateway = await gatewayOf(cloud, 'gw-dl');
    expect(gateway).toMatchObject({
      ackedSeq: 0,
      eventsReceived: 3,
      duplicatesIgnored: 0,
      gap: { firstMissingSeq: 1, heldEvents: 3 },
      setAside: [{ seq: 1, type: 'ticket.opened', ticketId: poison.id, attempts: 3 }],
    });
    expect(gateway?.setAside?.[0]?.reason).toContain('windowStart');
    expect(await cloud.store.review.get(poison.id)).toBeUndefined();

    // The fix: the stored row gets a real date (the agent is stopped to edit its file), then resend.
    await replicator.stop();
    outbox.close();
    const file = new Database(path);
    const row = file.prepare('SELECT body FROM events WHERE seq = 1').get() as { body: string };
    const event = JSON.parse(row.body) as OutboxEvent;
    event.ticket.evidence.windowStart = event.ticket.evidence.windowEnd;
    file.prepare('UPDATE events SET body = ? WHERE seq = 1').run(JSON.stringify(event));
    file.close();
    outbox = new Outbox(path, 'gw-dl');
    expect(resendDeadLetters(outbox, { seqs: [1] })).toEqual([1]);
    expect(outbox.stats()).toMatchObject({ pending: 1, deadLetters: 0 });
    replicatorOn(outbox);

    await waitFor(async () => (await cloud.store.review.get(poison.id)) !== undefined, 'the resent ticket');
    await waitFor(() => outbox.stats().ackedSeq === 4, 'the watermark past the resent event');
    expect(outbox.stats()).toMatchObject({ pending: 0, deadLetters: 0, settledSeq: 4 });
    const healed = await gatewayOf(cloud, 'gw-dl');
    expect(healed).toMatchObject({ ackedSeq: 4, eventsReceived: 4, duplicatesIgnored: 0 });
    expect(healed?.gap).toBeUndefined();
    expect(healed?.setAside).toBeUndefined();
  });
});

describe('plantwatch outbox dead-letters|resend with a running agent', () => {
  it('shows a set-aside event in /metrics, /api/v1/status and the CLI, and resends it to a cloud that now accepts it', async () => {
    const dir = tempDir();
    const db = join(dir, 'cloud.db');
    const cloudPort = await freePort();
    // The cloud takes at most 64 KiB a request: one event alone is larger (413 for a batch of one).
    let cloud = await startTestCloud({ db, port: cloudPort, bodyLimitBytes: 64 * 1024 });
    cleanups.push(() => cloud.stop());
    const token = await cloud.store.access.createGatewayToken('gw-cli-dl', {
      sites: ['site-a', 'test-site'],
    });
    const big = sampleTicket({ gatewayId: 'gw-cli-dl', assetId: 'pump-9' });
    big.evidence.reasoning = [
      Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join(''),
    ];
    const dataDir = join(dir, 'edge');
    mkdirSync(dataDir, { recursive: true });
    const ordinary = writeOutbox(join(dataDir, 'outbox.db'), 'gw-cli-dl', big);

    const httpPort = await freePort();
    const configFile = join(dir, 'edge.yaml');
    writeFileSync(
      configFile,
      [
        'gatewayId: gw-cli-dl',
        'site: test-site',
        `dataDir: ${dataDir}`,
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
        'mqtt: { embedded: { port: 0 } }',
        'telemetry: { enabled: false }',
        'cloud:',
        `  url: http://127.0.0.1:${cloudPort}`,
        `  token: ${token}`,
        '  compress: none',
        '  retryInitial: 20ms',
        '  retryMax: 100ms',
        '  maxAttempts: 2',
        '',
      ].join('\n'),
    );
    const agent = await startEdgeAgent(loadEdgeConfig(configFile), capturingLogger().logger);
    cleanups.push(() => agent.stop());

    for (const ticket of ordinary) {
      await waitFor(
        async () => (await cloud.store.review.get(ticket.id)) !== undefined,
        `ticket ${ticket.assetId}`,
      );
    }
    await waitFor(() => agent.status().outbox.deadLetters === 1, 'the big event set aside');
    const status = (await (await fetch(`${agent.statusUrl}/api/v1/status`)).json()) as {
      outbox: { deadLetters: number; pending: number; lastDeadLetter?: { seq: number; reason: string } };
      replication: { setAsideEvents: number };
    };
    expect(status.outbox).toMatchObject({ deadLetters: 1, pending: 0, lastDeadLetter: { seq: 1 } });
    expect(status.outbox.lastDeadLetter?.reason).toMatch(/^413 /);
    expect(status.replication.setAsideEvents).toBe(1);
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toMatch(/^plantwatch_edge_outbox_dead_letters 1$/m);
    expect(metrics).toMatch(/^plantwatch_edge_outbox_set_aside_events_total 1$/m);

    // The agent holds its outbox: the CLI asks it through its status port.
    const listed = await runCli(['outbox', 'dead-letters', '--config', configFile]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('1 set-aside event(s)');
    expect(listed.stdout).toMatch(
      /seq 1 {2}ticket\.opened {2}ticket \w{26} {2}asset pump-9 .* after 2 attempts/,
    );
    expect(listed.stdout).toContain('413');
    const typo = await runCli(['outbox', 'resend', '7', '--config', configFile]);
    expect(typo.code).toBe(1);
    expect(typo.output).toContain(
      'seq 7 is not set aside (the set-aside events are: 1); nothing was requeued',
    );
    expect((await runCli(['outbox', 'resend', 'x1', '--config', configFile])).output).toContain(
      "'x1' is not a seq",
    );

    // The fix: the cloud takes larger requests now. Then the operator resends, the agent still running.
    await cloud.stop();
    cloud = await startTestCloud({ db, port: cloudPort, bodyLimitBytes: 4 * 1024 * 1024 });
    cleanups.push(() => cloud.stop());
    const resent = await runCli(['outbox', 'resend', '--all', '--config', configFile]);
    expect(resent.code).toBe(0);
    expect(resent.stdout).toContain('requeued seq 1');

    await waitFor(async () => (await cloud.store.review.get(big.id)) !== undefined, 'the resent big ticket');
    await waitFor(() => agent.status().outbox.ackedSeq === 4, 'the watermark past it');
    expect(agent.status().outbox).toMatchObject({ pending: 0, deadLetters: 0 });
    expect(await gatewayOf(cloud, 'gw-cli-dl')).toMatchObject({ ackedSeq: 4, duplicatesIgnored: 0 });

    // And with the agent stopped, the CLI reads the file itself.
    await agent.stop();
    const empty = await runCli(['outbox', 'dead-letters', '--config', configFile]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('no set-aside events in');
  });
});

describe('an outage', () => {
  it('sets nothing aside however long the cloud is down: every event is delivered once it is back', async () => {
    const dir = tempDir();
    const db = join(dir, 'cloud.db');
    const port = await freePort();
    let cloud = await startTestCloud({ db, port });
    const token = await cloud.store.access.createGatewayToken('gw-down', { sites: ['site-a', 'test-site'] });
    await cloud.stop(); // the link is down: connection refused on every attempt
    const outbox = new Outbox(join(dir, 'outbox.db'), 'gw-down');
    cleanups.push(() => outbox.close());
    const tickets = ['pump-1', 'fan-2'].map((assetId) => sampleTicket({ gatewayId: 'gw-down', assetId }));
    for (const ticket of tickets) outbox.append('ticket.opened', ticket, new Date().toISOString());
    const replicator = new Replicator({
      outbox,
      gatewayId: 'gw-down',
      cloudUrl: `http://127.0.0.1:${port}`,
      token,
      batchMaxEvents: 100,
      batchMaxBytes: 1_000_000,
      backoff: { initialMs: 20, maxMs: 50 },
      requestTimeoutMs: 2000,
      compress: true,
      maxAttempts: 2,
      logger: capturingLogger().logger,
    });
    cleanups.push(() => replicator.stop());
    replicator.start();
    await waitFor(() => replicator.health().consecutiveFailures >= 6, 'six failed attempts');
    expect(outbox.stats()).toMatchObject({ deadLetters: 0, pending: 2 });

    cloud = await startTestCloud({ db, port });
    cleanups.push(() => cloud.stop());
    await waitFor(() => outbox.stats().pending === 0, 'delivery once the cloud is back');
    expect(outbox.stats()).toMatchObject({ deadLetters: 0, ackedSeq: 2 });
    expect(replicator.health().setAsideEvents).toBe(0);
    for (const ticket of tickets) expect(await cloud.store.review.get(ticket.id)).toBeDefined();
  });
});
