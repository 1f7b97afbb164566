import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startCloud } from '../../cloud/server.js';
import { openCloudStore } from '../../cloud/open-cloud-store.js';
import { integerIn, positiveNumber } from '../../shared/cli-options.js';
import { type Logger, pino } from 'pino';
import { REDACTED_PATHS } from '../../shared/log.js';
import { type FleetCloud, type FleetLoadResult, runFleetLoad } from './fleet-load.js';

interface FleetFlags {
  gateways: number;
  assets: number;
  duration: number;
  eventsPerGatewayS: number;
  drainTimeout: number;
  seed: number;
  json?: boolean;
  dataDir?: string;
  cloud?: string;
  db?: string;
}

const numberUpTo =
  (max: number) =>
  (value: string): number => {
    const n = positiveNumber(value);
    if (n > max) throw new InvalidArgumentError(`expected a positive number up to ${max}, got '${value}'`);
    return n;
  };

const httpUrl = (value: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected a URL such as http://127.0.0.1:8080, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got '${value}'`);
  return value;
};

/** Logs go to stderr: stdout carries the summary, one JSON object with --json. */
const stderrLogger = (name: string, level: string): Logger =>
  pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2));

const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : `${v.toFixed(1)} ms`;

/** The human summary: one figure a line, the verdict last. */
export function formatFleetSummary(r: FleetLoadResult): string {
  const rows: [string, string][] = [
    ['gateways × assets', `${r.gateways} × ${r.assetsPerGateway}`],
    [
      'offered',
      `${r.offeredPerS} events/s for ${r.durationS} s (asked: ${r.gateways} × ${r.eventsPerGatewayS} = ` +
        `${Number((r.gateways * r.eventsPerGatewayS).toFixed(2))}; less means this process could not raise them all)`,
    ],
    ['committed / delivered', `${r.committed} / ${r.delivered}`],
    ['delivered (sustained)', `${r.deliveredPerS} events/s`],
    ['per gateway', `${r.perGatewayDeliveredPerS.min} – ${r.perGatewayDeliveredPerS.max} events/s`],
    [
      'edge→cloud latency',
      `p50 ${ms(r.latencyMs?.p50)}, p95 ${ms(r.latencyMs?.p95)}, p99 ${ms(r.latencyMs?.p99)}, max ${ms(r.latencyMs?.max)}`,
    ],
    ['pending at end', String(r.pendingAtEnd)],
    [
      'errors',
      `${r.errors.commitFailures} commit, ${r.errors.replicationFailures} replication` +
        (r.errors.lastError ? ` (last: ${r.errors.lastError})` : ''),
    ],
    ['drain', `${(r.drainMs / 1000).toFixed(1)} s`],
    ['max RSS', `${r.maxRssMb} MB`],
    [
      'cloud check',
      r.ok
        ? `every gateway's ackedSeq equals its last seq: nothing lost`
        : `LOST ${r.lost} events; ${r.mismatches.length} gateways differ: ` +
          r.mismatches
            .slice(0, 5)
            .map((m) => `${m.gatewayId} last ${m.lastSeq}, cloud ${m.cloudAckedSeq ?? 'none'}`)
            .join('; '),
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export function fleetSimCommand(): Command {
  const command = new Command('fleet')
    .description(
      'load test: N gateways (each a real outbox and replicator, no sensors) raise ticket events against one cloud; measures delivered events/s and edge→cloud latency, then checks nothing was lost',
    )
    .option('--gateways <n>', 'simulated gateways', integerIn(1, 2000), 50)
    .option('--assets <m>', 'assets per gateway', integerIn(1, 10_000), 10)
    .option(
      '--duration <s>',
      'seconds of load (the drain after it is bounded by --drain-timeout)',
      numberUpTo(86_400),
      20,
    )
    .option(
      '--events-per-gateway-s <rate>',
      'ticket events each gateway commits per second',
      numberUpTo(10_000),
      2,
    )
    .option(
      '--drain-timeout <s>',
      'at most this long to wait for every outbox to drain after the load',
      numberUpTo(3600),
      30,
    )
    .option('--seed <n>', 'random seed, for a reproducible event mix', integerIn(0, 2 ** 31), 1)
    .option(
      '--data-dir <dir>',
      'where the outboxes (and the in-process cloud database) go; default: a temp folder, removed after a clean run',
    )
    .option('--cloud <url>', 'load a running cloud instead of one started in-process (needs --db)', httpUrl)
    .option(
      '--db <path>',
      "that cloud's database (SQLite path or postgres:// URL): gateway tokens are created in it and the result checked against it",
    )
    .option('--json', 'print the summary as one JSON object on stdout')
    .action(async (flags: FleetFlags) => {
      if ((flags.cloud === undefined) !== (flags.db === undefined)) {
        command.error(
          "error: --cloud and --db go together: the cloud's URL to load, and its database for gateway tokens and the final check",
        );
      }
      if (flags.cloud) {
        const healthy = await fetch(new URL('/healthz', flags.cloud)).then(
          (r) => r.ok,
          () => false,
        );
        if (!healthy)
          command.error(
            `error: no healthy cloud at ${flags.cloud} (GET /healthz failed); start one with plantwatch cloud`,
          );
      }
      const ownDir = flags.dataDir === undefined;
      const dataDir = flags.dataDir ?? mkdtempSync(join(tmpdir(), 'plantwatch-fleet-'));
      mkdirSync(dataDir, { recursive: true });

      let cloud: FleetCloud;
      let stopCloud: () => Promise<void>;
      if (flags.cloud && flags.db) {
        const store = await openCloudStore(flags.db);
        cloud = { url: flags.cloud, store };
        stopCloud = () => store.close();
      } else {
        // The fleet's own cloud: per-gateway rate limit lifted, since the load, not the limiter, is measured.
        const running = await startCloud({
          host: '127.0.0.1',
          port: 0,
          db: join(dataDir, 'cloud.db'),
          logger: stderrLogger('cloud', 'warn'),
          ingestRateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
        });
        cloud = running;
        stopCloud = () => running.stop();
      }

      const stopLoad = new AbortController();
      const onSignal = () => {
        console.error('stopping the load early; draining and checking');
        stopLoad.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      console.error(
        `fleet: ${flags.gateways} gateways × ${flags.assets} assets, ${flags.eventsPerGatewayS} events/s each, ` +
          `${flags.duration} s against ${cloud.url}; outboxes in ${dataDir}`,
      );
      let result: FleetLoadResult;
      try {
        result = await runFleetLoad({
          cloud,
          gateways: flags.gateways,
          assetsPerGateway: flags.assets,
          eventsPerGatewayS: flags.eventsPerGatewayS,
          durationS: flags.duration,
          drainTimeoutS: flags.drainTimeout,
          seed: flags.seed,
          dataDir,
          signal: stopLoad.signal,
          logger: stderrLogger('fleet', 'error'),
          progressEveryMs: 3000,
          onProgress: (p) =>
            console.error(
              `${p.elapsedS.toFixed(0).padStart(4)} s  committed ${p.committed}  delivered ${p.delivered}  ` +
                `pending ${p.pending}  p99 ${ms(p.p99Ms)}`,
            ),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await stopCloud();
      }
      if (flags.json) console.log(JSON.stringify(result));
      else console.log(formatFleetSummary(result));
      if (ownDir && result.ok) rmSync(dataDir, { recursive: true, force: true });
      else if (!result.ok) console.error(`outboxes kept in ${dataDir} for inspection`);
      process.exitCode = result.ok ? 0 : 1;
    });
  return command;
}
