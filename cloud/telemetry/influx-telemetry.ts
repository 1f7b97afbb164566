import { InfluxDB, type IPoint } from 'influx';
import type { Logger } from 'pino';
import type { TelemetryPoint, TrendPoint } from '../../shared/schema/telemetry.js';
import {
  type LatestRequest,
  type LatestValue,
  type TelemetrySink,
  type TrendRequest,
  trendBucketMs,
} from './telemetry-sink.js';

const MEASUREMENT = 'features';
/** A write of 2,000 points takes milliseconds; a minute means the server is stuck, not busy. */
const REQUEST_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 10_000;

/**
 * InfluxQL literals. The request's ids are already restricted to a safe alphabet by the routes'
 * schemas; escaping anyway keeps this module safe whoever calls it.
 */
export const influxString = (value: string): string =>
  `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const influxIdentifier = (name: string): string =>
  `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The URL as it may appear in a log line or an error: never with its password. */
export function shownInfluxUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

interface InfluxTarget {
  database: string;
  client: InfluxDB;
  /** The URL as it may be logged: without its password. */
  shownUrl: string;
}

/** `http(s)://[user:password@]host[:port][/path-prefix]/<database>`: the last path segment is the database. */
export function parseInfluxUrl(url: string): InfluxTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `--influx '${shownInfluxUrl(url)}' is not a URL; give one like http://127.0.0.1:8086/plantwatch`,
    );
  }
  const shownUrl = shownInfluxUrl(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`--influx ${shownUrl}: InfluxDB is reached over http:// or https://`);
  }
  const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const database = segments.pop();
  if (!database || !/^[A-Za-z0-9_-]{1,64}$/.test(database)) {
    throw new Error(
      `--influx ${shownUrl}: name the database in the URL's path (letters, digits, _ or -), e.g. http://127.0.0.1:8086/plantwatch`,
    );
  }
  const client = new InfluxDB({
    protocol: parsed.protocol === 'https:' ? 'https' : 'http',
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 8086,
    path: segments.length > 0 ? `/${segments.join('/')}` : '',
    database,
    ...(parsed.username
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : {}),
    // The edge retries a failed batch with its own backoff; retrying inside the request as well
    // would hold the gateway's connection open for the sum of both.
    pool: { maxRetries: 0, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  return { database, client, shownUrl };
}

/**
 * Telemetry in InfluxDB 1.x: measurement `features`, tags site/asset/channel/gateway, one field per
 * summarised feature, millisecond timestamps. A point written again (same tags and time) replaces
 * its fields, which makes a replayed batch harmless.
 */
export class InfluxTelemetry implements TelemetrySink {
  readonly kind = 'influxdb' as const;

  private constructor(
    private readonly target: InfluxTarget,
    private readonly logger: Logger,
  ) {}

  /** Connects, and creates the database when it is missing; fails at once, naming the server, when it cannot. */
  static async open(url: string, logger: Logger): Promise<InfluxTelemetry> {
    const target = parseInfluxUrl(url);
    const [host] = await target.client.ping(START_TIMEOUT_MS);
    if (!host?.online) {
      throw new Error(
        `cannot reach InfluxDB at ${target.shownUrl} (no answer to /ping within ${START_TIMEOUT_MS / 1000} s): ` +
          'start it, correct --influx, or leave --influx out to keep telemetry in the cloud database',
      );
    }
    try {
      const databases = await target.client.getDatabaseNames();
      if (!databases.includes(target.database)) {
        await target.client.createDatabase(target.database);
        logger.info(
          { database: target.database, url: target.shownUrl },
          'created the InfluxDB database for telemetry',
        );
      }
    } catch (error) {
      throw new Error(
        `InfluxDB at ${target.shownUrl} refused to list or create database '${target.database}': ${(error as Error).message}. ` +
          'Check the user and password in the URL, and that the user may create databases (or create it yourself)',
        { cause: error },
      );
    }
    return new InfluxTelemetry(target, logger);
  }

  async write(gatewayId: string, points: TelemetryPoint[]): Promise<void> {
    const rows: IPoint[] = points.map((p) => ({
      measurement: MEASUREMENT,
      tags: { site: p.site, asset: p.assetId, channel: p.channel, gateway: gatewayId },
      fields: p.fields,
      timestamp: p.ts,
    }));
    await this.target.client.writePoints(rows, { precision: 'ms' });
  }

  async trend(request: TrendRequest): Promise<TrendPoint[]> {
    if (request.sites?.length === 0) return [];
    const bucketMs = trendBucketMs(request);
    const where = [
      `"asset" = ${influxString(request.assetId)}`,
      `time >= ${Math.trunc(request.fromMs)}ms`,
      `time < ${Math.trunc(request.toMs)}ms`,
    ];
    if (request.channel !== undefined) where.push(`"channel" = ${influxString(request.channel)}`);
    if (request.sites)
      where.push(`(${request.sites.map((s) => `"site" = ${influxString(s)}`).join(' OR ')})`);
    // The offset aligns the buckets on fromMs, as the SQL store does, rather than on the epoch.
    const query =
      `SELECT mean(${influxIdentifier(request.metric)}) AS "value" FROM ${influxIdentifier(MEASUREMENT)} ` +
      `WHERE ${where.join(' AND ')} GROUP BY time(${bucketMs}ms, ${request.fromMs % bucketMs}ms) fill(none)`;
    const raw = (await this.target.client.queryRaw(query, { precision: 'ms' })) as InfluxRawReply;
    const result = raw.results?.[0];
    if (result?.error) throw new Error(`InfluxDB refused the trend query: ${result.error}`);
    const values = result?.series?.[0]?.values ?? [];
    this.logger.debug({ query, buckets: values.length }, 'trend from InfluxDB');
    return values
      .filter((row): row is [number, number] => typeof row[1] === 'number')
      .map(([ts, value]) => ({ ts, value }));
  }

  async latest(request: LatestRequest): Promise<LatestValue[]> {
    if (request.sites?.length === 0 || request.assetIds?.length === 0 || request.metrics.length === 0)
      return [];
    const where: string[] = [];
    if (request.assetIds)
      where.push(`(${request.assetIds.map((a) => `"asset" = ${influxString(a)}`).join(' OR ')})`);
    if (request.sites)
      where.push(`(${request.sites.map((s) => `"site" = ${influxString(s)}`).join(' OR ')})`);
    // One last() per metric: with several selectors in one SELECT InfluxDB answers the query's
    // start as the time, so each metric's own time would be lost.
    const statements = request.metrics.map(
      (metric) =>
        `SELECT last(${influxIdentifier(metric)}) AS "value" FROM ${influxIdentifier(MEASUREMENT)}` +
        `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY "site", "asset", "channel"`,
    );
    const raw = (await this.target.client.queryRaw(statements.join('; '), {
      precision: 'ms',
    })) as InfluxRawReply;
    const values: LatestValue[] = [];
    request.metrics.forEach((metric, index) => {
      const result = raw.results?.[index];
      if (result?.error) throw new Error(`InfluxDB refused the latest-value query: ${result.error}`);
      for (const series of result?.series ?? []) {
        const [ts, value] = series.values?.[0] ?? [];
        const { site, asset, channel } = series.tags ?? {};
        if (typeof ts !== 'number' || typeof value !== 'number' || !site || !asset || !channel) continue;
        values.push({ site, assetId: asset, channel, metric, ts, value });
      }
    });
    // The SQL store's order: asset, channel, metric, site.
    const key = (v: LatestValue) => [v.assetId, v.channel, v.metric, v.site].join('\u0000');
    return values.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  async ping(): Promise<void> {
    const [host] = await this.target.client.ping(5000);
    if (!host?.online) throw new Error(`InfluxDB at ${this.target.shownUrl} does not answer /ping`);
  }

  /** The client holds no connection between requests. */
  async close(): Promise<void> {}
}

interface InfluxRawReply {
  results?: {
    error?: string;
    series?: { tags?: Record<string, string>; values?: [number, number | null][] }[];
  }[];
}
