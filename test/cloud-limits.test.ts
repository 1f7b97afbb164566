import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { removeTempDirs, startTestCloud } from './helpers/stack.js';
import { sampleEvents, sampleTicket } from './helpers/tickets.js';

let cloud: RunningCloud;
let token: string;
let otherToken: string;

beforeAll(async () => {
  cloud = await startTestCloud({
    bodyLimitBytes: 64 * 1024,
    ingestRateLimit: { max: 3, timeWindowMs: 60_000 },
  });
  token = await cloud.store.access.createGatewayToken('gw-1', { sites: ['site-a'] });
  otherToken = await cloud.store.access.createGatewayToken('gw-2', { sites: ['site-a'] });
});
afterAll(async () => {
  await cloud.stop();
  removeTempDirs();
});

const ingest = (body: unknown, bearer: string) =>
  fetch(`${cloud.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });

describe('cloud ingest limits', () => {
  it('answers 413 to a body over the limit, before applying anything', async () => {
    const ticket = sampleTicket({ gatewayId: 'gw-1', summary: 'x'.repeat(3000) });
    const events = sampleEvents(
      'gw-1',
      Array.from({ length: 40 }, (_, i) => i + 1),
      ticket,
    );
    const response = await ingest({ gatewayId: 'gw-1', events }, token);
    expect(response.status).toBe(413);
    // gzip shrinks the same body below the limit; the limit holds for what it decompresses to.
    const compressed = gzipSync(JSON.stringify({ gatewayId: 'gw-1', events }));
    expect(compressed.length).toBeLessThan(64 * 1024);
    const bomb = await fetch(`${cloud.url}/api/v1/ingest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${token}`,
      },
      body: compressed,
    });
    expect(bomb.status).toBe(413);
  });

  it('answers 429 with Retry-After to a gateway over its rate, and not to the others', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await ingest({ gatewayId: 'gw-1', events: sampleEvents('gw-1', [1]) }, token)).status);
    // The 413 above is refused before the limiter (it never reached a handler), so it does not count.
    expect(statuses).toEqual([200, 200, 200]);
    expect((await ingest({ gatewayId: 'gw-1', events: sampleEvents('gw-1', [1]) }, token)).status).toBe(429);
    const limited = await ingest({ gatewayId: 'gw-1', events: sampleEvents('gw-1', [1]) }, token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ingest({ gatewayId: 'gw-2', events: sampleEvents('gw-2', [1]) }, otherToken)).status).toBe(
      200,
    );
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_ingest_requests_total{code="429"} 2');
    expect(metrics).toContain('plantwatch_cloud_duplicate_events_total 2');
  });
});
