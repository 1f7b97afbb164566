import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../edge/outbox/outbox.js';
import { fleetSimCommand } from './fleet-command.js';
import { runFleetLoad } from './fleet-load.js';
import { freePort, removeTempDirs, startTestCloud, tempDir } from '../../test/helpers/stack.js';

afterAll(() => removeTempDirs());

describe('fleet load', () => {
  it('delivers every event of 8 gateways, with latency percentiles, and stops within its bound', async () => {
    const cloud = await startTestCloud({ ingestRateLimit: { max: 1_000_000, timeWindowMs: 60_000 } });
    const dataDir = tempDir();
    const progress: number[] = [];
    try {
      const started = Date.now();
      const result = await runFleetLoad({
        cloud,
        gateways: 8,
        assetsPerGateway: 3,
        eventsPerGatewayS: 5,
        durationS: 4,
        drainTimeoutS: 10,
        dataDir,
        gatewayIdPrefix: 'fleet-test',
        progressEveryMs: 1000,
        onProgress: (p) => progress.push(p.committed),
      });
      const elapsedMs = Date.now() - started;

      // 8 gateways × 5 events/s × 4 s, give or take the phase of each gateway's first event.
      expect(result.committed).toBeGreaterThanOrEqual(150);
      expect(result.committed).toBeLessThanOrEqual(160);
      expect(result.delivered).toBe(result.committed);
      expect(result.lost).toBe(0);
      expect(result.pendingAtEnd).toBe(0);
      expect(result.mismatches).toEqual([]);
      expect(result.errors.commitFailures).toBe(0);
      expect(result.ok).toBe(true);
      expect(result.latencyMs).not.toBeNull();
      const latency = result.latencyMs!;
      expect(latency.p50).toBeGreaterThan(0);
      expect(latency.p50).toBeLessThanOrEqual(latency.p95);
      expect(latency.p95).toBeLessThanOrEqual(latency.p99);
      expect(latency.p99).toBeLessThanOrEqual(latency.max);
      expect(latency.p99).toBeLessThan(5000);
      expect(result.perGatewayDeliveredPerS.min).toBeGreaterThan(0);
      expect(result.maxRssMb).toBeGreaterThan(0);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      // The load's 4 s plus a drain bounded at 10 s, and some slack for start-up.
      expect(elapsedMs).toBeLessThan(4000 + 10_000 + 3000);

      // The cloud's watermark per gateway, against each outbox file read back on its own.
      const cloudAcked = new Map(
        (await cloud.store.ingest.gateways()).map((g) => [g.gatewayId, g.ackedSeq] as const),
      );
      for (let n = 1; n <= 8; n++) {
        const gatewayId = `fleet-test-00${n}`;
        const outbox = new Outbox(join(dataDir, `${gatewayId}.db`), gatewayId);
        try {
          const { lastSeq, pending } = outbox.stats();
          expect(lastSeq).toBeGreaterThan(0);
          expect(pending).toBe(0);
          expect(cloudAcked.get(gatewayId)).toBe(lastSeq);
        } finally {
          outbox.close();
        }
      }
    } finally {
      await cloud.stop();
    }
  }, 30_000);

  it('reports events the cloud never acknowledged as lost, within its bound', async () => {
    const cloud = await startTestCloud();
    try {
      // The store is the cloud's, the URL goes nowhere: every event stays in its outbox.
      const result = await runFleetLoad({
        cloud: { url: `http://127.0.0.1:${await freePort()}`, store: cloud.store },
        gateways: 2,
        assetsPerGateway: 2,
        eventsPerGatewayS: 5,
        durationS: 1,
        drainTimeoutS: 0.5,
        dataDir: tempDir(),
      });
      expect(result.committed).toBeGreaterThan(0);
      expect(result.delivered).toBe(0);
      expect(result.lost).toBe(result.committed);
      expect(result.pendingAtEnd).toBe(result.committed);
      expect(result.mismatches).toHaveLength(2);
      expect(result.errors.replicationFailures).toBeGreaterThan(0);
      expect(result.latencyMs).toBeNull();
      expect(result.ok).toBe(false);
      expect(result.wallMs).toBeLessThan(5000);
    } finally {
      await cloud.stop();
    }
  });
});

describe('plantwatch sim fleet flags', () => {
  const parse = (args: string[]) =>
    fleetSimCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} })
      .parseAsync(args, { from: 'user' });

  it.each([
    [['--gateways', '0'], /--gateways.*expected an integer from 1 to 2000, got '0'/],
    [['--gateways', 'many'], /--gateways.*expected an integer/],
    [['--assets', '2.5'], /--assets.*expected an integer/],
    [['--duration', '-1'], /--duration.*expected a positive number/],
    [['--events-per-gateway-s', 'fast'], /--events-per-gateway-s.*expected a positive number/],
    [['--cloud', 'ftp://cloud', '--db', 'x.db'], /--cloud.*expected an http/],
    [['--cloud', 'http://127.0.0.1:1'], /--cloud and --db go together/],
    [['--db', 'cloud.db'], /--cloud and --db go together/],
    [['--gateway', '5'], /unknown option '--gateway'/],
  ])('refuses %j', async (args, message) => {
    const error = await parse(args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).message).toMatch(message);
    expect((error as CommanderError).exitCode).not.toBe(0);
  });
});
