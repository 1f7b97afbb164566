import { join } from 'node:path';
import Fastify from 'fastify';
import { startCloud } from '../../cloud/server.js';
import { createPostgresDatabase, startPostgresServer } from './postgres-server.js';
import { createLogger } from '../../shared/log.js';
import { sampleEvents, sampleTicket } from './sample-tickets.js';
import { type BenchResult, opsPerSecond, result } from './measure.js';

const BATCH = 100;
/** Gateways posting at once: a fleet's batches arrive together. */
const GATEWAYS = 4;

/** ingest-sqlite: the default store, one durable file. */
export const benchIngestSqlite = (dir: string): Promise<BenchResult> =>
  benchIngest('ingest-sqlite', join(dir, 'bench-cloud.db'));

/** ingest-postgres: the scale-out store, on a throwaway PostgreSQL cluster started for the run. */
export async function benchIngestPostgres(): Promise<BenchResult> {
  const server = await startPostgresServer();
  try {
    return await benchIngest('ingest-postgres', await createPostgresDatabase(server.baseUrl, 'bench_ingest'));
  } finally {
    await server.stop();
  }
}

/**
 * Events/s through POST /api/v1/ingest (auth, schema validation, durable idempotent apply) from
 * GATEWAYS gateways posting at once, as a fleet does, against a parse-only endpoint on the same
 * loopback under the same load: the cost of HTTP and JSON alone.
 */
async function benchIngest(name: string, db: string): Promise<BenchResult> {
  const cloud = await startCloud({
    host: '127.0.0.1',
    port: 0,
    db,
    logger: createLogger('bench', 'silent'),
    ingestRateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
  });
  const gateways = await Promise.all(
    Array.from({ length: GATEWAYS }, async (_, g) => {
      const gatewayId = `gw-bench-${g}`;
      return {
        gatewayId,
        token: await cloud.store.access.createGatewayToken(gatewayId, { sites: ['site-a'] }),
        seq: 0,
      };
    }),
  );
  // The client's own cost stays out of both figures: each batch is a template with its seqs
  // spliced in, not 100 events built and serialised per request.
  const SEQ_MARK = 987_654_321;
  const templates = gateways.map(({ gatewayId }) => {
    const template = sampleEvents(gatewayId, [SEQ_MARK], sampleTicket({ gatewayId }))[0]!;
    return JSON.stringify({
      ...template,
      type: 'ticket.updated',
      ticket: { ...template.ticket, occurrences: 1 },
    }).split(String(SEQ_MARK)) as [string, string];
  });
  const nextBatch = (g: number) => {
    const gateway = gateways[g]!;
    const [head, tail] = templates[g]!;
    const events = Array.from({ length: BATCH }, () => `${head}${++gateway.seq}${tail}`);
    return `{"gatewayId":"${gateway.gatewayId}","events":[${events.join(',')}]}`;
  };
  const post = async (url: string, g: number) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateways[g]!.token}` },
      body: nextBatch(g),
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const round = (url: string) => Promise.all(gateways.map((_, g) => post(url, g)));
  const roundsPerS = await opsPerSecond(() => round(`${cloud.url}/api/v1/ingest`), 2, 2000);
  await cloud.stop();

  const parseOnly = Fastify({ bodyLimit: 4 * 1024 * 1024 });
  parseOnly.post('/parse', async (request) => ({
    received: (request.body as { events: unknown[] }).events.length,
  }));
  await parseOnly.listen({ host: '127.0.0.1', port: 0 });
  const address = parseOnly.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/parse`;
  const baselineRoundsPerS = await opsPerSecond(() => round(url), 2, 2000);
  await parseOnly.close();
  const perRound = GATEWAYS * BATCH;
  return result(
    name,
    BATCH,
    'events/s',
    roundsPerS * perRound,
    'parse-only-endpoint',
    baselineRoundsPerS * perRound,
  );
}
