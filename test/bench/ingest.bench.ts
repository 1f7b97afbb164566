import { join } from 'node:path';
import Fastify from 'fastify';
import { startCloud } from '../../cloud/server.js';
import { createPostgresDatabase, startPostgresServer } from '../helpers/postgres-server.js';
import { silentLogger } from '../helpers/stack.js';
import { sampleEvents, sampleTicket } from '../helpers/tickets.js';
import { type BenchResult, opsPerSecond, result } from './measure.js';

const BATCH = 100;

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
 * Events/s through POST /api/v1/ingest (auth, schema validation, one durable transaction per
 * batch) against a parse-only endpoint on the same loopback: the cost of HTTP and JSON alone.
 */
async function benchIngest(name: string, db: string): Promise<BenchResult> {
  const cloud = await startCloud({
    host: '127.0.0.1',
    port: 0,
    db,
    logger: silentLogger(),
    ingestRateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
  });
  const token = await cloud.store.access.createGatewayToken('gw-bench');
  const ticket = sampleTicket({ gatewayId: 'gw-bench' });
  let seq = 0;
  const nextBatch = () =>
    JSON.stringify({
      gatewayId: 'gw-bench',
      events: sampleEvents(
        'gw-bench',
        Array.from({ length: BATCH }, () => ++seq),
        ticket,
      ),
    });
  const post = async (url: string, body: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const batchesPerS = await opsPerSecond(() => post(`${cloud.url}/api/v1/ingest`, nextBatch()), 2, 2000);
  await cloud.stop();

  const parseOnly = Fastify({ bodyLimit: 4 * 1024 * 1024 });
  parseOnly.post('/parse', async (request) => ({
    received: (request.body as { events: unknown[] }).events.length,
  }));
  await parseOnly.listen({ host: '127.0.0.1', port: 0 });
  const address = parseOnly.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/parse`;
  const baselinePerS = await opsPerSecond(() => post(url, nextBatch()), 2, 2000);
  await parseOnly.close();
  return result(name, BATCH, 'events/s', batchesPerS * BATCH, 'parse-only-endpoint', baselinePerS * BATCH);
}
