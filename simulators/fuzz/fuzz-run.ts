import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startCloud, type RunningCloud } from '../../cloud/server.js';
import { startEdgeAgent } from '../../edge/agent.js';
import { resolveEdgeConfig } from '../../edge/config.js';
import { createPostgresDatabase, startPostgresServer } from '../bench/postgres-server.js';
import { prepareCloudTarget } from './cloud-target.js';
import { checkConsoleXss, type XssFigures } from './console-xss.js';
import { EDGE_STATUS_ROUTES } from './edge-routes.js';
import { fuzzHttp, type SurfaceFigures } from './http-fuzz.js';
import { fuzzMqtt } from './mqtt-fuzz.js';

export interface FuzzRunOptions {
  /** Wall-time budget for the whole campaign, shared among the surfaces. */
  seconds: number;
  /** At most this many inputs per route (HTTP) or in all (MQTT). */
  runs: number;
  seed: number;
  chromiumPath: string;
  progress: (line: string) => void;
}

export interface FuzzSummary {
  seed: number;
  surfaces: (SurfaceFigures | XssFigures)[];
  findings: number;
}

const silent = pino({ level: 'silent' });

async function fuzzCloud(
  kind: string,
  db: string,
  options: FuzzRunOptions,
  ms: number,
  xss: boolean,
): Promise<(SurfaceFigures | XssFigures)[]> {
  const cloud: RunningCloud = await startCloud({
    host: '127.0.0.1',
    port: 0,
    db,
    logger: silent,
    ingestRateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
  });
  try {
    const { target, routes, known } = await prepareCloudTarget(cloud);
    const figures: (SurfaceFigures | XssFigures)[] = [
      await fuzzHttp({
        surface: `cloud-http-${kind}`,
        target,
        routes,
        known,
        seed: options.seed,
        runsPerRoute: options.runs,
        msPerRoute: ms / routes.length,
      }),
    ];
    if (xss) figures.push(await checkConsoleXss(cloud, options.chromiumPath));
    return figures;
  } finally {
    await cloud.stop();
  }
}

async function fuzzEdge(dir: string, options: FuzzRunOptions, ms: number): Promise<SurfaceFigures[]> {
  const config = resolveEdgeConfig(
    {
      gatewayId: 'gw-fuzz-edge',
      site: 'fuzz',
      dataDir: join(dir, 'edge'),
      http: { port: 0 },
      mqtt: { embedded: { port: 0 } },
      // No cloud listens here: tickets stay in the outbox, which is what the run inspects.
      cloud: { url: 'http://127.0.0.1:9', token: 'fuzz', retryInitial: '1s', retryMax: '5s' },
    },
    dir,
  );
  const agent = await startEdgeAgent(config, silent);
  try {
    const http = await fuzzHttp({
      surface: 'edge-http',
      target: { baseUrl: agent.statusUrl, tokens: { anonymous: undefined } },
      routes: EDGE_STATUS_ROUTES,
      seed: options.seed,
      runsPerRoute: options.runs,
      msPerRoute: (ms * 0.3) / EDGE_STATUS_ROUTES.length,
    });
    const mqtt = await fuzzMqtt({
      brokerUrl: agent.brokerUrl,
      seed: options.seed,
      runs: options.runs * 40,
      ms: ms * 0.7,
    });
    const status = agent.status();
    const source = status.sources[0] as { state?: string; rejected?: number; accepted?: number } | undefined;
    if (source?.state !== 'connected')
      mqtt.findings.push(`the MQTT source is ${String(source?.state)} after the run`);
    options.progress(
      `mqtt: ${mqtt.measurementTopics} on measurement topics; the agent accepted ${source?.accepted}, rejected ${source?.rejected}`,
    );
    return [http, mqtt];
  } finally {
    await agent.stop();
  }
}

/** The long fuzz campaign of `plantwatch fuzz`: every surface, on loopback, bounded by seconds and runs. */
export async function runFuzz(options: FuzzRunOptions): Promise<FuzzSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'plantwatch-fuzz-'));
  const budget = options.seconds * 1000;
  const surfaces: (SurfaceFigures | XssFigures)[] = [];
  const xss = existsSync(options.chromiumPath);
  if (!xss) options.progress(`no Chromium at ${options.chromiumPath}: the console check is skipped`);
  try {
    options.progress('cloud on SQLite…');
    surfaces.push(...(await fuzzCloud('sqlite', join(dir, 'cloud.db'), options, budget * 0.35, xss)));
    let postgres: Awaited<ReturnType<typeof startPostgresServer>> | undefined;
    try {
      postgres = await startPostgresServer();
    } catch (error) {
      options.progress(`PostgreSQL not started (${(error as Error).message}): its store is skipped`);
    }
    if (postgres) {
      try {
        options.progress('cloud on PostgreSQL…');
        const db = await createPostgresDatabase(postgres.baseUrl, `pw_fuzz_${Date.now().toString(36)}`);
        surfaces.push(...(await fuzzCloud('postgres', db, options, budget * 0.35, false)));
      } finally {
        await postgres.stop();
      }
    }
    options.progress('edge agent…');
    surfaces.push(...(await fuzzEdge(dir, options, budget * 0.3)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { seed: options.seed, surfaces, findings: surfaces.reduce((n, s) => n + s.findings.length, 0) };
}
