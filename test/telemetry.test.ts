import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import compress from '@fastify/compress';
import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openCloudDatabase } from '../cloud/open-cloud-store.js';
import type { SqlDatabase } from '../cloud/store/sql-database.js';
import { telemetryRoutes } from '../cloud/telemetry/telemetry-routes.js';
import { openTelemetrySink } from '../cloud/telemetry/open-telemetry-sink.js';
import type { TelemetrySink } from '../cloud/telemetry/telemetry-sink.js';
import { startEdgeAgent } from '../edge/agent.js';
import { TelemetryBuffer } from '../edge/telemetry/telemetry-buffer.js';
import { TelemetryShipper } from '../edge/telemetry/telemetry-shipper.js';
import { TelemetrySummary } from '../edge/telemetry/telemetry-summary.js';
import type { Features, Reading } from '../shared/schema/index.js';
import type { TelemetryPoint, TrendReply } from '../shared/schema/telemetry.js';
import { createAjv } from '../shared/validation.js';
import { startVibrationSimulator } from '../simulators/vibration/publisher.js';
import { CLOUD_STORES, newCloudDatabase } from './helpers/cloud-databases.js';
import { type InfluxServer, startInfluxServer } from './helpers/influx-server.js';
import { cloudJson } from './helpers/cloud-client.js';
import {
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const GATEWAY_TOKEN = 'pwgw_test-token-0123456789';
const USER_TOKEN = 'pwu_engineer-token-0123456789';
/** A Monday, midnight UTC: bucket arithmetic is easy to check by eye. */
const T0 = Date.UTC(2026, 0, 5);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
// Suites keep a database open across their tests: temp folders go at the end of the file.
afterAll(removeTempDirs);

// The cloud app's validation: strict bodies (strictNumbers refuses Infinity), coerced query strings.
const strictAjv = createAjv({ allErrors: false }, 'fast');
const coercingAjv = createAjv({ coerceTypes: true, useDefaults: true, allErrors: false });

const bearer = (request: FastifyRequest): string | undefined =>
  /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];

const unauthorized = (reply: FastifyReply) =>
  reply
    .code(401)
    .send({ statusCode: 401, error: 'Unauthorized', code: 'PW_BAD_TOKEN', message: 'bad token' });

interface TelemetryApp {
  app: FastifyInstance;
  url: string;
  pointsWritten: Counter;
  /** Each telemetry POST's point count and content encoding, as received. */
  posts: { points: number; encoding?: string }[];
}

/** A minimal cloud: the telemetry routes over the given sink, one gateway token, one user token. */
async function telemetryApp(sink: TelemetrySink, port = 0): Promise<TelemetryApp> {
  const app = Fastify({ bodyLimit: 4 * 1024 * 1024 });
  app.setValidatorCompiler(
    ({ schema, httpPart }) =>
      (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema) as ReturnType<typeof strictAjv.compile>,
  );
  await app.register(compress, { requestEncodings: ['gzip', 'deflate'], threshold: 2048 });
  const posts: TelemetryApp['posts'] = [];
  app.addHook('preHandler', async (request) => {
    const body = request.body as { points?: unknown[] } | undefined;
    if (request.method !== 'POST' || !body?.points) return;
    const encoding = request.headers['content-encoding'];
    posts.push({ points: body.points.length, ...(encoding ? { encoding } : {}) });
  });
  const pointsWritten = new Counter({
    name: 'test_points_written',
    help: 'points',
    registers: [new Registry()],
  });
  await app.register(telemetryRoutes, {
    sink,
    authenticateGateway: async (request, reply) => {
      if (bearer(request) !== GATEWAY_TOKEN) return unauthorized(reply);
      request.gatewayId = 'gw-1';
      request.gatewaySites = ['site-a', 'site-b'];
    },
    authenticateUser: async (request, reply) => {
      if (bearer(request) !== USER_TOKEN) return unauthorized(reply);
    },
    // Stands in for the engineer's site permissions.
    visibleSites: (request) => {
      const header = request.headers['x-test-sites'];
      return typeof header === 'string' ? header.split(',').filter(Boolean) : undefined;
    },
    metrics: { pointsWritten },
  });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return { app, url, pointsWritten, posts };
}

/** A telemetry app closed after the current test. */
async function telemetryAppForTest(sink: TelemetrySink, port = 0): Promise<TelemetryApp> {
  const cloud = await telemetryApp(sink, port);
  cleanups.push(() => cloud.app.close());
  return cloud;
}

const postTelemetry = (url: string, body: unknown, token = GATEWAY_TOKEN, raw?: string) =>
  fetch(`${url}/api/v1/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: raw ?? JSON.stringify(body),
  });

async function trend(
  url: string,
  assetId: string,
  query: Record<string, string | number>,
  sites?: string[],
): Promise<{ status: number; body: TrendReply & { message?: string; code?: string } }> {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await fetch(`${url}/api/v1/assets/${assetId}/trend?${search}`, {
    headers: { authorization: `Bearer ${USER_TOKEN}`, ...(sites ? { 'x-test-sites': sites.join(',') } : {}) },
  });
  return { status: response.status, body: (await response.json()) as TrendReply & { message?: string } };
}

/** 120 one-second points of pump-1/de (velocity = i), and a second channel and site to filter out. */
function sampleBatch(): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  for (let i = 0; i < 120; i++) {
    points.push({
      ts: T0 + i * 1000,
      site: 'site-a',
      assetId: 'pump-1',
      channel: 'de',
      fields: { velocityRmsMmS: i, kurtosis: 3, isoZoneIndex: 1 },
    });
    points.push({
      ts: T0 + i * 1000,
      site: 'site-a',
      assetId: 'pump-1',
      channel: 'nde',
      fields: { velocityRmsMmS: 1000 },
    });
    points.push({
      ts: T0 + i * 1000,
      site: 'site-b',
      assetId: 'fan-9',
      channel: 'de',
      fields: { velocityRmsMmS: 7 },
    });
  }
  return points;
}

const range = { from: new Date(T0).toISOString(), to: new Date(T0 + 120_000).toISOString() };

/** What every sink must do; run against InfluxDB and against both SQL stores. */
function trendContract(open: () => Promise<TelemetrySink>, kind: 'influxdb' | 'store') {
  let app: TelemetryApp;
  beforeAll(async () => {
    app = await telemetryApp(await open());
  });
  afterAll(async () => {
    await app.app.close();
  });

  it('stores a batch and averages it into equal buckets aligned on `from`', async () => {
    const response = await postTelemetry(app.url, { gatewayId: 'gw-1', points: sampleBatch() });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: 360 });

    const coarse = await trend(app.url, 'pump-1', {
      metric: 'velocityRmsMmS',
      channel: 'de',
      ...range,
      maxPoints: 12,
    });
    expect(coarse.status).toBe(200);
    expect(coarse.body).toMatchObject({
      assetId: 'pump-1',
      metric: 'velocityRmsMmS',
      channel: 'de',
      source: kind,
    });
    expect(coarse.body.bucketMs).toBe(10_000);
    // Bucket k holds velocities 10k … 10k+9.
    expect(coarse.body.points).toEqual(
      Array.from({ length: 12 }, (_, k) => ({ ts: T0 + k * 10_000, value: 10 * k + 4.5 })),
    );

    const fine = await trend(app.url, 'pump-1', {
      metric: 'velocityRmsMmS',
      channel: 'de',
      ...range,
      maxPoints: 5000,
    });
    expect(fine.body.points.map((p) => p.value)).toEqual(Array.from({ length: 120 }, (_, i) => i));

    // Without a channel, the asset's channels are averaged together: de's i with nde's 1000.
    const both = await trend(app.url, 'pump-1', { metric: 'velocityRmsMmS', ...range, maxPoints: 1 });
    expect(both.body.points).toHaveLength(1);
    expect(both.body.points[0]?.value).toBeCloseTo((59.5 + 1000) / 2, 9);
    expect(both.body).not.toHaveProperty('channel');
  });

  it('leaves the trend unchanged when the same batch is replayed', async () => {
    const query = { metric: 'velocityRmsMmS', channel: 'de', ...range, maxPoints: 12 };
    const before = await trend(app.url, 'pump-1', query);
    expect(before.body.points).toHaveLength(12);
    expect((await postTelemetry(app.url, { gatewayId: 'gw-1', points: sampleBatch() })).status).toBe(200);
    expect((await trend(app.url, 'pump-1', query)).body.points).toEqual(before.body.points);
    // A point sent again with a new value replaces the old one (last write wins), never adds to it.
    const corrected = {
      ts: T0,
      site: 'site-a',
      assetId: 'pump-1',
      channel: 'de',
      fields: { velocityRmsMmS: 10 },
    };
    expect((await postTelemetry(app.url, { gatewayId: 'gw-1', points: [corrected] })).status).toBe(200);
    const after = await trend(app.url, 'pump-1', query);
    expect(after.body.points[0]?.value).toBeCloseTo(4.5 + 1, 9);
    await postTelemetry(app.url, {
      gatewayId: 'gw-1',
      points: [{ ...corrected, fields: { velocityRmsMmS: 0 } }],
    });
  });

  it('shows only the sites the caller may see', async () => {
    const query = { metric: 'velocityRmsMmS', ...range, maxPoints: 1 };
    expect((await trend(app.url, 'fan-9', query, ['site-b'])).body.points).toEqual([{ ts: T0, value: 7 }]);
    expect((await trend(app.url, 'fan-9', query, ['site-a'])).body.points).toEqual([]);
    expect((await trend(app.url, 'fan-9', query, [])).body.points).toEqual([]);
    expect((await trend(app.url, 'fan-9', query)).body.points).toEqual([{ ts: T0, value: 7 }]);
  });

  it('defaults to the last 7 days and 500 points', async () => {
    const now = Date.now();
    const recent = {
      ts: now - 3_600_000,
      site: 'site-a',
      assetId: 'pump-2',
      channel: 'de',
      fields: { kurtosis: 4.5 },
    };
    const old = { ...recent, ts: now - 8 * 86_400_000, fields: { kurtosis: 99 } };
    expect((await postTelemetry(app.url, { gatewayId: 'gw-1', points: [recent, old] })).status).toBe(200);
    const { status, body } = await trend(app.url, 'pump-2', { metric: 'kurtosis' });
    expect(status).toBe(200);
    expect(body.points.map((p) => p.value)).toEqual([4.5]);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(7 * 86_400_000);
    expect(body.bucketMs).toBe(Math.ceil((7 * 86_400_000) / 500));
    expect((await trend(app.url, 'pump-2', { metric: 'rpm' })).body.points).toEqual([]);
  });
}

describe('telemetry in InfluxDB 1.x', () => {
  let influx: InfluxServer;
  beforeAll(async () => {
    influx = await startInfluxServer();
  });
  afterAll(async () => {
    await influx?.stop();
  });

  describe('the trend contract', () => {
    trendContract(
      () =>
        openTelemetrySink({
          influxUrl: `${influx.url}/plantwatch_test`,
          db: undefined as never,
          logger: silentLogger(),
        }),
      'influxdb',
    );
  });

  it('creates the database, and tags each point with site, asset, channel and gateway', async () => {
    const sink = await openTelemetrySink({
      influxUrl: `${influx.url}/tags_test`,
      db: undefined as never,
      logger: silentLogger(),
    });
    await sink.write('gw-7', [
      { ts: T0, site: 'site-a', assetId: 'pump-1', channel: 'de', fields: { rpm: 1780 } },
    ]);
    const search = new URLSearchParams({ db: 'tags_test', q: 'SHOW SERIES' });
    const series = (await (await fetch(`${influx.url}/query?${search}`)).json()) as {
      results: { series: { values: string[][] }[] }[];
    };
    expect(series.results[0]?.series[0]?.values).toEqual([
      ['features,asset=pump-1,channel=de,gateway=gw-7,site=site-a'],
    ]);
  });

  it('fails at start naming the URL, without its password, when InfluxDB is unreachable', async () => {
    const { freePort } = await import('./helpers/stack.js');
    const port = await freePort();
    const opening = openTelemetrySink({
      influxUrl: `http://admin:s3cret@127.0.0.1:${port}/plantwatch`,
      db: undefined as never,
      logger: silentLogger(),
    });
    await expect(opening).rejects.toThrow(
      `cannot reach InfluxDB at http://admin:***@127.0.0.1:${port}/plantwatch`,
    );
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });

  it('refuses a URL without a database', async () => {
    await expect(
      openTelemetrySink({ influxUrl: influx.url, db: undefined as never, logger: silentLogger() }),
    ).rejects.toThrow(/name the database in the URL's path/);
  });
});

describe.each(CLOUD_STORES)('telemetry in the %s store (no InfluxDB)', (kind) => {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await openCloudDatabase(await newCloudDatabase(kind));
  });
  afterAll(async () => {
    await db?.close();
  });
  trendContract(() => openTelemetrySink({ db, logger: silentLogger() }), 'store');
});

describe('telemetry request validation', () => {
  let db: SqlDatabase;
  let app: TelemetryApp;
  beforeAll(async () => {
    db = await openCloudDatabase(join(tempDir(), 'cloud.db'));
    app = await telemetryApp(await openTelemetrySink({ db, logger: silentLogger() }));
  });
  afterAll(async () => {
    await app.app.close();
    await db.close();
  });

  const point = (fields: Record<string, number>) => ({
    ts: T0,
    site: 'site-a',
    assetId: 'pump-1',
    channel: 'de',
    fields,
  });
  const refusal = async (response: Response) => ({
    status: response.status,
    ...((await response.json()) as { message: string; code?: string }),
  });

  it('names a bad field name and says what a field name looks like', async () => {
    const reply = await refusal(
      await postTelemetry(app.url, {
        gatewayId: 'gw-1',
        points: [point({ rpm: 1 }), point({ 'velocity rms': 1 })],
      }),
    );
    expect(reply.status).toBe(400);
    expect(reply.message).toContain('body/points/1/fields: field name "velocity rms" is not allowed');
    expect(reply.message).toContain('a letter, then at most 63 letters, digits, _ or .');
    const digit = await refusal(
      await postTelemetry(app.url, { gatewayId: 'gw-1', points: [point({ '1x': 1 })] }),
    );
    expect(digit.message).toContain('field name "1x"');
  });

  it('refuses infinite values, empty fields and too many points', async () => {
    const infinite = await refusal(
      await postTelemetry(
        app.url,
        undefined,
        GATEWAY_TOKEN,
        JSON.stringify({ gatewayId: 'gw-1', points: [point({ rpm: 0 })] }).replace('"rpm":0', '"rpm":1e999'),
      ),
    );
    expect(infinite.status).toBe(400);
    expect(infinite.message).toContain('body/points/0/fields/rpm must be');
    const empty = await refusal(await postTelemetry(app.url, { gatewayId: 'gw-1', points: [point({})] }));
    expect(empty.message).toContain('body/points/0/fields must NOT have fewer than 1 properties');
    const many = await refusal(
      await postTelemetry(app.url, {
        gatewayId: 'gw-1',
        points: Array.from({ length: 2001 }, () => point({ rpm: 1 })),
      }),
    );
    expect(many.status).toBe(400);
    expect(many.message).toContain('body/points must NOT have more than 2000 items');
    const tooWide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i]));
    expect(
      (await refusal(await postTelemetry(app.url, { gatewayId: 'gw-1', points: [point(tooWide)] }))).message,
    ).toContain('must NOT have more than 64 properties');
    expect((await app.pointsWritten.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('answers 403 when the body names another gateway, and 401 without a gateway token', async () => {
    const wrong = await refusal(
      await postTelemetry(app.url, { gatewayId: 'gw-2', points: [point({ rpm: 1 })] }),
    );
    expect(wrong).toMatchObject({ status: 403, code: 'PW_WRONG_GATEWAY' });
    expect(wrong.message).toContain("belongs to gateway 'gw-1', not 'gw-2'");
    expect(
      (await postTelemetry(app.url, { gatewayId: 'gw-1', points: [point({ rpm: 1 })] }, USER_TOKEN)).status,
    ).toBe(401);
    const noUser = await fetch(`${app.url}/api/v1/assets/pump-1/trend?metric=rpm`, {
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}` },
    });
    expect(noUser.status).toBe(401);
  });

  it('refuses bad trend queries with a precise message', async () => {
    const metric = await trend(app.url, 'pump-1', { metric: 'velocity rms' });
    expect(metric.status).toBe(400);
    expect(metric.body.message).toContain('querystring/metric must be a telemetry field name');
    const backwards = await trend(app.url, 'pump-1', { metric: 'rpm', from: range.to, to: range.from });
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe('PW_BAD_RANGE');
    expect(backwards.body.message).toContain(
      `querystring/from (${range.to}) must be before to (${range.from})`,
    );
    const future = await trend(app.url, 'pump-1', { metric: 'rpm', from: '2999-01-01T00:00:00Z' });
    expect(future.body.message).toContain('which defaults to now');
    const long = await trend(app.url, 'pump-1', {
      metric: 'rpm',
      from: '2000-01-01T00:00:00Z',
      to: range.to,
    });
    expect(long.body.message).toContain('spans more than 3653 days');
    const notDate = await trend(app.url, 'pump-1', { metric: 'rpm', from: 'yesterday' });
    expect(notDate.status).toBe(400);
    expect(notDate.body.message).toContain('querystring/from must match format "date-time"');
    const tooMany = await trend(app.url, 'pump-1', { metric: 'rpm', maxPoints: 5001 });
    expect(tooMany.body.message).toContain('querystring/maxPoints must be <= 5000');
    const badAsset = await trend(app.url, 'pump%201', { metric: 'rpm' });
    expect(badAsset.status).toBe(400);
  });
});

describe('edge telemetry summary', () => {
  const features = (ts: number, velocityRmsMmS: number, extra: Partial<Features> = {}): Features => ({
    ts,
    assetId: 'pump-1',
    channel: 'de',
    windowStart: ts - 320,
    windowEnd: ts,
    sampleRateHz: 12_800,
    accelUnit: 'g',
    accelRms: 0.5,
    accelPeak: 2,
    velocityRmsMmS,
    crestFactor: 4,
    kurtosis: 3,
    ...extra,
  });
  const reading = (ts: number, value: number, quality?: Reading['quality']): Reading => ({
    ts,
    assetId: 'pump-1',
    channel: 'temp',
    value,
    unit: 'degC',
    ...(quality ? { quality } : {}),
  });

  it('averages each field per asset channel over the interval, stamped with its end', () => {
    const summary = new TelemetrySummary('site-a', 10_000);
    summary.addFeatures(features(T0 + 1000, 1, { rpm: 1780, isoZone: 'A' }), 0);
    summary.addFeatures(features(T0 + 9000, 3, { rpm: 1790, isoZone: 'C', bpfoEnvelopeSnr: 6 }), 0);
    summary.addReading(reading(T0 + 2000, 40), 0);
    summary.addReading(reading(T0 + 3000, 50), 0);
    summary.addReading(reading(T0 + 4000, 900, 'bad'), 0);
    summary.addReading(reading(T0 + 5000, Number.NaN), 0);
    expect(summary.flush(1)).toEqual([]); // still open, and fed a moment ago
    // The next interval's first window closes the first one.
    summary.addFeatures(features(T0 + 10_500, 5), 2);
    expect(summary.flush(3)).toEqual([
      {
        ts: T0 + 10_000,
        site: 'site-a',
        assetId: 'pump-1',
        channel: 'de',
        fields: {
          accelRms: 0.5,
          accelPeak: 2,
          velocityRmsMmS: 2,
          crestFactor: 4,
          kurtosis: 3,
          rpm: 1785,
          isoZoneIndex: 1, // A (0) and C (2)
          bpfoEnvelopeSnr: 6, // present in one window only: the mean of those that had it
        },
      },
    ]);
    // The temperature channel went quiet: after one interval of wall-clock time it closes too.
    const quiet = summary.flush(10_000);
    expect(quiet.find((p) => p.channel === 'temp')).toEqual({
      ts: T0 + 10_000,
      site: 'site-a',
      assetId: 'pump-1',
      channel: 'temp',
      fields: { value: 45 },
    });
    expect(summary.stats()).toMatchObject({ nonFinite: 1, late: 0 });
    // A straggler for an interval already sent is dropped, not sent as a second point.
    summary.addReading(reading(T0 + 6000, 99), 10_001);
    expect(summary.stats().late).toBe(1);
    // de's second interval was fed 9,998 ms ago: still open until drained.
    expect(summary.drain().map((p) => [p.channel, p.ts, p.fields.velocityRmsMmS])).toEqual([
      ['de', T0 + 20_000, 5],
    ]);
  });

  it('drains a partial interval at shutdown', () => {
    const summary = new TelemetrySummary('site-a', 10_000);
    summary.addFeatures(features(T0 + 1000, 4), 0);
    expect(summary.drain().map((p) => [p.ts, p.fields.velocityRmsMmS])).toEqual([[T0 + 10_000, 4]]);
  });
});

/** One channel's 10 s points, about 300 bytes each as stored. */
const edgePoints = (from: number, n: number, channel = 'de'): TelemetryPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    ts: T0 + (from + i) * 10_000,
    site: 'site-a',
    assetId: 'pump-1',
    channel,
    fields: {
      velocityRmsMmS: from + i,
      kurtosis: 3.2,
      crestFactor: 4.1,
      accelRms: 0.51,
      accelPeak: 2.2,
      rpm: 1780,
    },
  }));

function bufferAt(maxBytes?: number): TelemetryBuffer {
  const buffer = new TelemetryBuffer(
    join(tempDir(), 'telemetry.db'),
    maxBytes === undefined ? {} : { maxBytes },
  );
  cleanups.push(() => buffer.close());
  return buffer;
}

const bufferedPoints = (buffer: TelemetryBuffer): TelemetryPoint[] =>
  buffer.oldest(1e9, 1e12).bodies.map((b) => JSON.parse(b) as TelemetryPoint);

describe('edge telemetry buffer', () => {
  it('keeps to its budget: thins the older half to every 4th point first, then evicts the oldest', () => {
    const maxBytes = 256 * 1024;
    const buffer = bufferAt(maxBytes);
    let next = 0;
    while (buffer.stats().downsampled === 0) {
      buffer.add([...edgePoints(next, 20, 'de'), ...edgePoints(next, 20, 'nde')]);
      next += 20;
      expect(buffer.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const thinned = buffer.stats();
    expect(thinned.evicted).toBe(0);
    const de = bufferedPoints(buffer)
      .filter((p) => p.channel === 'de')
      .map((p) => p.fields.velocityRmsMmS ?? -1);
    // The oldest points survive as every 4th; the newest are all there.
    expect(de.slice(0, 4)).toEqual([0, 4, 8, 12]);
    expect(de.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => next - 20 + i));
    expect(thinned.downsampled).toBeGreaterThan(0);
    expect(thinned.points).toBe(2 * next - thinned.downsampled);

    while (buffer.stats().evicted === 0) {
      buffer.add([...edgePoints(next, 20, 'de'), ...edgePoints(next, 20, 'nde')]);
      next += 20;
      expect(buffer.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const evicted = buffer.stats();
    const oldest = bufferedPoints(buffer)[0];
    expect(oldest?.fields.velocityRmsMmS).toBeGreaterThan(0); // the very first points are gone
    expect(evicted.points).toBe(2 * next - evicted.downsampled - evicted.evicted);
    expect(evicted).toMatchObject({ dropped: 0, full: false, maxBytes });
  });

  it('drops (and counts) points while the disk is full, and recovers by itself', () => {
    const buffer = bufferAt();
    buffer.add(edgePoints(0, 10));
    // Stands in for a full disk: the file may not grow by a single page.
    const db = buffer['db'];
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    expect(() => buffer.add(edgePoints(10, 2000))).not.toThrow();
    expect(buffer.stats()).toMatchObject({ points: 10, dropped: 2000, full: true });
    db.pragma('max_page_count = 1073741823');
    buffer.add(edgePoints(2010, 5));
    expect(buffer.stats()).toMatchObject({ points: 15, dropped: 2000, full: false });
  });

  it('sets a damaged file aside and starts empty, rather than keep the agent from starting', () => {
    const dir = tempDir();
    const path = join(dir, 'telemetry.db');
    writeFileSync(path, 'this is not a database '.repeat(200));
    const buffer = new TelemetryBuffer(path);
    cleanups.push(() => buffer.close());
    expect(buffer.stats().points).toBe(0);
    buffer.add(edgePoints(0, 3));
    expect(buffer.stats().points).toBe(3);
    expect(readdirSync(dir).filter((f) => f.startsWith('telemetry.db.damaged-'))).toHaveLength(1);
  });

  it('keeps points across a restart, and removes only the ones given', () => {
    const path = join(tempDir(), 'telemetry.db');
    const first = new TelemetryBuffer(path);
    first.add(edgePoints(0, 5));
    const batch = first.oldest(2);
    first.remove(batch.ids);
    first.close();
    const second = new TelemetryBuffer(path);
    cleanups.push(() => second.close());
    expect(second.stats().points).toBe(3);
    expect(bufferedPoints(second).map((p) => p.fields.velocityRmsMmS)).toEqual([2, 3, 4]);
  });
});

describe('edge telemetry shipper', () => {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await openCloudDatabase(join(tempDir('plantwatch-telemetry-cloud-'), 'cloud.db'));
  });
  afterAll(async () => {
    await db.close();
  });

  function shipperFor(url: string, buffer: TelemetryBuffer, ticketBacklog = () => 0, batchMaxPoints = 1000) {
    const shipper = new TelemetryShipper({
      buffer,
      gatewayId: 'gw-1',
      cloudUrl: url,
      token: GATEWAY_TOKEN,
      requestTimeoutMs: 2000,
      compress: true,
      intervalMs: 50,
      batchMaxPoints,
      backoff: { initialMs: 40, maxMs: 300 },
      ticketBacklog,
      logger: silentLogger(),
    });
    cleanups.push(() => shipper.stop());
    return shipper;
  }

  const sink = () => openTelemetrySink({ db, logger: silentLogger() });

  it('delivers buffered points in batches, gzipped, and removes them once accepted', async () => {
    const cloud = await telemetryAppForTest(await sink());
    const buffer = bufferAt();
    buffer.add([...edgePoints(0, 1200, 'de'), ...edgePoints(0, 1200, 'nde')]);
    const shipper = shipperFor(cloud.url, buffer);
    shipper.start();
    await waitFor(() => buffer.stats().points === 0, 'the buffer to drain');
    expect(shipper.health()).toMatchObject({ shipped: 2400, rejected: 0, consecutiveFailures: 0 });
    expect(cloud.posts).toEqual([
      { points: 1000, encoding: 'gzip' },
      { points: 1000, encoding: 'gzip' },
      { points: 400, encoding: 'gzip' },
    ]);
    expect((await cloud.pointsWritten.get()).values[0]?.value).toBe(2400);
    const { body } = await trend(cloud.url, 'pump-1', {
      metric: 'velocityRmsMmS',
      channel: 'de',
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 12_000_000).toISOString(),
      maxPoints: 1200,
    });
    expect(body.points.map((p) => p.value)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
  });

  it('keeps points buffered while the cloud is down, and delivers them once it is back', async () => {
    const { freePort } = await import('./helpers/stack.js');
    const port = await freePort();
    const buffer = bufferAt();
    buffer.add(edgePoints(5000, 30));
    const shipper = shipperFor(`http://127.0.0.1:${port}`, buffer);
    shipper.start();
    await waitFor(() => shipper.health().consecutiveFailures >= 2, 'failed attempts');
    expect(buffer.stats().points).toBe(30);
    expect(shipper.health().state).toBe('backing-off');
    await telemetryAppForTest(await sink(), port);
    await waitFor(() => buffer.stats().points === 0, 'delivery after the cloud came up');
    expect(shipper.health()).toMatchObject({ shipped: 30, consecutiveFailures: 0 });
  });

  it('sends nothing while ticket events wait in the outbox', async () => {
    const cloud = await telemetryAppForTest(await sink());
    const buffer = bufferAt();
    buffer.add(edgePoints(6000, 10));
    let backlog = 3;
    const shipper = shipperFor(cloud.url, buffer, () => backlog);
    shipper.start();
    await waitFor(() => shipper.health().state === 'waiting-for-tickets', 'the shipper to wait for tickets');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await cloud.pointsWritten.get()).values[0]?.value ?? 0).toBe(0);
    expect(buffer.stats().points).toBe(10);
    backlog = 0;
    await waitFor(() => buffer.stats().points === 0, 'delivery once the tickets are out');
    expect((await cloud.pointsWritten.get()).values[0]?.value).toBe(10);
  });

  it('drops a batch the cloud refuses as invalid, counts it, and goes on with the next', async () => {
    const cloud = await telemetryAppForTest(await sink());
    const buffer = bufferAt();
    buffer.add([{ ts: T0, site: 'site-a', assetId: 'pump-1', channel: 'de', fields: { 'not a field': 1 } }]);
    buffer.add(edgePoints(7000, 4));
    const shipper = shipperFor(cloud.url, buffer, () => 0, 1);
    shipper.start();
    await waitFor(() => buffer.stats().points === 0, 'the buffer to drain');
    expect(shipper.health()).toMatchObject({ shipped: 4, rejected: 1 });
    expect(shipper.health().lastError).toContain('field name "not a field"');
  });

  it('stops promptly even with a request in flight to a cloud that never answers', async () => {
    const { createServer } = await import('node:net');
    const server = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const buffer = bufferAt();
    buffer.add(edgePoints(0, 3));
    const shipper = shipperFor(
      `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      buffer,
    );
    shipper.start();
    await waitFor(() => shipper.health().state === 'sending', 'a request in flight');
    const started = Date.now();
    await shipper.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(buffer.stats().points).toBe(3);
  });
});

describe('edge agent telemetry', () => {
  it('summarises a running machine and ships the summaries through the real cloud into InfluxDB', async () => {
    const influx = await startInfluxServer();
    cleanups.push(() => influx.stop());
    const cloud = await startTestCloud({ influxUrl: `${influx.url}/plantwatch` });
    cleanups.push(() => cloud.stop());
    expect(cloud.telemetry.kind).toBe('influxdb');
    const config = testEdgeConfig({
      gatewayId: 'gw-1',
      site: 'site-a',
      cloud: {
        url: cloud.url,
        token: await cloud.store.access.createGatewayToken('gw-1', { sites: ['site-a'] }),
      },
      telemetry: { interval: '1s' },
    });
    const agent = await startEdgeAgent(config, silentLogger());
    cleanups.push(() => agent.stop());
    const startTimeMs = Date.now();
    const simulator = await startVibrationSimulator({
      brokerUrl: agent.brokerUrl,
      topicPrefix: 'plantwatch',
      assetId: 'pump-1',
      channel: 'de-accel',
      fault: 'healthy',
      rpm: 1780,
      sampleRateHz: 12_800,
      samplesPerFrame: 4096,
      rampS: 0,
      speed: 20,
      frames: 40,
      seed: 7,
      startTimeMs,
    });
    cleanups.push(() => simulator.stop());
    await simulator.done;
    const window = {
      from: new Date(startTimeMs - 60_000).toISOString(),
      to: new Date(startTimeMs + 600_000).toISOString(),
    };
    const velocity = await waitFor(async () => {
      const body = await cloudJson<TrendReply>(
        cloud,
        `/api/v1/assets/pump-1/trend?${new URLSearchParams({ metric: 'velocityRmsMmS', channel: 'de-accel', ...window, maxPoints: '5000' })}`,
      );
      return body.source === 'influxdb' && body.points.length >= 5 && body.points;
    }, 'velocity summaries in the cloud');
    // A healthy machine: zone A all along.
    for (const point of velocity) expect(point.value).toBeLessThan(2.8);
    const temperature = await cloudJson<TrendReply>(
      cloud,
      `/api/v1/assets/pump-1/trend?${new URLSearchParams({ metric: 'value', channel: 'bearing-temperature', ...window })}`,
    );
    expect(temperature.points.length).toBeGreaterThan(0);
    // The points are readable in InfluxDB a moment before the shipper has the cloud's reply and counts them.
    await waitFor(() => (agent.status().telemetry?.shipped ?? 0) >= 5, 'the shipper to count its deliveries');
    const status = agent.status();
    expect(status.outbox.lastSeq).toBe(0);
    expect(status.telemetry).toMatchObject({ dropped: 0, full: false, rejected: 0 });
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toMatch(/plantwatch_edge_telemetry_shipped_points_total [1-9]/);
    expect(metrics).toContain('plantwatch_edge_telemetry_buffered_points');
  });
});
