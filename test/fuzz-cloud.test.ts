import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { adminToken } from './helpers/cloud-client.js';
import { prepareCloudTarget } from '../simulators/fuzz/cloud-target.js';
import { fuzzHttp } from '../simulators/fuzz/http-fuzz.js';
import { CLOUD_STORES, newCloudDatabase } from './helpers/cloud-databases.js';
import { removeTempDirs, startTestCloud } from './helpers/stack.js';

// Fixed: CI runs the same inputs every time; `npm run fuzz -- --seed N` explores others.
const SEED = Number(process.env.PLANTWATCH_FUZZ_SEED ?? 20_261_203);

afterAll(removeTempDirs);

describe.each(CLOUD_STORES)('cloud HTTP fuzz (%s store)', (kind) => {
  let cloud: RunningCloud;
  beforeAll(async () => {
    // Generous limits: the campaign is one client hammering ingest and login on purpose.
    cloud = await startTestCloud({
      db: await newCloudDatabase(kind),
      ingestRateLimit: { max: 100_000, timeWindowMs: 60_000 },
    });
  });
  afterAll(() => cloud?.stop());

  it('refuses a NUL character in a path, query or body with a 400 naming the field (PostgreSQL answered 500)', async () => {
    const token = await adminToken(cloud);
    const ask = (path: string, init: RequestInit = {}) =>
      fetch(`${cloud.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const answers = [
      await ask('/api/v1/tickets/%00'),
      await ask('/api/v1/tickets?site=a%00b'),
      await ask('/api/v1/tickets/01ARZ3NDEKTSV4RRFFQ69G5FAV/comments', {
        method: 'POST',
        body: JSON.stringify({ text: 'bearing\u0000noise' }),
      }),
    ];
    const bodies = await Promise.all(answers.map((a) => a.json() as Promise<Record<string, unknown>>));
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400]);
    expect(bodies.map((b) => b.code)).toEqual(['PW_NUL_CHARACTER', 'PW_NUL_CHARACTER', 'PW_NUL_CHARACTER']);
    expect(bodies.map((b) => String(b.message).split(' ')[0])).toEqual([
      'params/id',
      'querystring/site',
      'body/text',
    ]);
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_request_refusals_total{code="PW_NUL_CHARACTER"} 3');
  });

  it('answers a request line over 16 KiB with 431 and Connection: close, counted, and logs in on the next request (was "other side closed")', async () => {
    const refused = await fetch(`${cloud.url}/api/v1/tickets?site=${'a'.repeat(20_000)}`);
    expect(refused.status).toBe(431);
    expect(refused.headers.get('connection')).toBe('close');
    expect(await refused.json()).toMatchObject({ code: 'PW_HEADERS_TOO_LARGE' });
    expect((await adminToken(cloud)).length).toBeGreaterThan(16);
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_request_refusals_total{code="PW_HEADERS_TOO_LARGE"} 1');
  });

  it('refuses Infinity and 1e999 as query numbers with a 400 naming the field (was a 500 from the store)', async () => {
    const token = await adminToken(cloud);
    for (const path of ['/api/v1/ticket-events?limit=Infinity', '/api/v1/tickets?limit=1e999']) {
      const answer = await fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status, path).toBe(400);
      expect(await answer.json()).toMatchObject({
        code: 'FST_ERR_VALIDATION',
        message: 'querystring/limit must be a finite number',
      });
    }
  });

  it('finds no on-call schedule for a site named after an Object member (was a 500)', async () => {
    const token = await adminToken(cloud);
    for (const site of ['toString', 'constructor', '__proto__']) {
      const answer = await fetch(`${cloud.url}/api/v1/routing/on-call?site=${site}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status, site).toBe(404);
      expect(await answer.json()).toMatchObject({ code: 'PW_NO_SCHEDULE' });
    }
  });

  it('answers every hostile request on every OpenAPI route with a 4xx in the one error format, never 5xx', async () => {
    const { target, routes, known } = await prepareCloudTarget(cloud);
    expect(routes.length).toBeGreaterThan(30);
    const figures = await fuzzHttp({
      surface: `cloud-${kind}`,
      target,
      routes,
      known,
      seed: SEED,
      runsPerRoute: 25,
      msPerRoute: 600,
    });
    console.log(
      `fuzz cloud (${kind}, seed ${SEED}): ${JSON.stringify({ ...figures, findings: figures.findings.length })}`,
    );
    expect(figures.inputs).toBeGreaterThan(routes.length * 5);
    expect(figures.findings, `seed ${SEED}`).toEqual([]);
    expect((await fetch(`${cloud.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
