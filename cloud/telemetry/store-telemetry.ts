import type { TelemetryPoint, TrendPoint } from '../../shared/schema/telemetry.js';
import {
  placeholders,
  rowPlaceholders,
  type SqlDatabase,
  type SqlExecutor,
  type SqlValue,
} from '../store/sql-database.js';
import {
  type LatestRequest,
  type LatestValue,
  type TelemetrySink,
  type TrendRequest,
  trendBucketMs,
} from './telemetry-sink.js';

const COLUMNS = 7;
/** 1024 rows × 7 values stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters per statement. */
const MAX_ROWS_PER_INSERT = 1024;

type Row = [
  assetId: string,
  metric: string,
  ts: number,
  site: string,
  channel: string,
  value: number,
  gatewayId: string,
];

/**
 * Telemetry in the cloud's SQL database, one row per field: for a single site or a trial, where
 * running InfluxDB is not worth it. A year of one 14-field channel every 10 s is 44 M rows, so a
 * large fleet belongs in InfluxDB (see README.md).
 */
export class StoreTelemetry implements TelemetrySink {
  readonly kind = 'store' as const;

  constructor(private readonly db: SqlDatabase) {}

  async write(gatewayId: string, points: TelemetryPoint[]): Promise<void> {
    // Last one wins within a batch, as in InfluxDB; PostgreSQL also refuses an upsert that
    // touches one row twice in a statement.
    const rows = new Map<string, Row>();
    for (const p of points) {
      for (const [metric, value] of Object.entries(p.fields)) {
        rows.set(`${p.assetId}\n${metric}\n${p.ts}\n${p.site}\n${p.channel}`, [
          p.assetId,
          metric,
          p.ts,
          p.site,
          p.channel,
          value,
          gatewayId,
        ]);
      }
    }
    const all = [...rows.values()];
    const latest = newestPerSeries(all);
    await this.db.transaction(async (tx) => {
      for (let start = 0; start < all.length;) {
        const size = insertSize(all.length - start);
        await insertRows(tx, all.slice(start, start + size));
        start += size;
      }
      for (let start = 0; start < latest.length;) {
        const size = insertSize(latest.length - start);
        await upsertLatest(tx, latest.slice(start, start + size));
        start += size;
      }
    });
  }

  async trend(request: TrendRequest): Promise<TrendPoint[]> {
    if (request.sites?.length === 0) return [];
    const bucketMs = trendBucketMs(request);
    // CAST: better-sqlite3 binds JS numbers as REAL, so SQLite would divide without it; in
    // PostgreSQL the division is already on BIGINTs.
    const where = ['asset_id = ?', 'metric = ?', 'ts >= ?', 'ts < ?'];
    const params: SqlValue[] = [
      request.fromMs,
      bucketMs,
      request.assetId,
      request.metric,
      request.fromMs,
      request.toMs,
    ];
    if (request.channel !== undefined) {
      where.push('channel = ?');
      params.push(request.channel);
    }
    if (request.sites) {
      where.push(`site IN (${placeholders(request.sites.length)})`);
      params.push(...request.sites);
    }
    const rows = await this.db.all<{ bucket: number | string; value: number | string }>(
      `SELECT CAST((ts - ?) / ? AS BIGINT) AS bucket, avg(value) AS value
         FROM telemetry_points WHERE ${where.join(' AND ')}
         GROUP BY bucket ORDER BY bucket`,
      params,
    );
    return rows.map((row) => ({
      ts: request.fromMs + Number(row.bucket) * bucketMs,
      value: Number(row.value),
    }));
  }

  /** From telemetry_latest, which every write keeps current: one indexed read, however long the history. */
  async latest(request: LatestRequest): Promise<LatestValue[]> {
    if (request.sites?.length === 0 || request.assetIds?.length === 0 || request.metrics.length === 0)
      return [];
    const where = [`metric IN (${placeholders(request.metrics.length)})`];
    const params: SqlValue[] = [...request.metrics];
    if (request.assetIds) {
      where.push(`asset_id IN (${placeholders(request.assetIds.length)})`);
      params.push(...request.assetIds);
    }
    if (request.sites) {
      where.push(`site IN (${placeholders(request.sites.length)})`);
      params.push(...request.sites);
    }
    const rows = await this.db.all<{
      asset_id: string;
      site: string;
      channel: string;
      metric: string;
      ts: number | string;
      value: number | string;
    }>(
      `SELECT asset_id, site, channel, metric, ts, value FROM telemetry_latest
         WHERE ${where.join(' AND ')} ORDER BY asset_id, channel, metric, site`,
      params,
    );
    return rows.map((r) => ({
      site: r.site,
      assetId: r.asset_id,
      channel: r.channel,
      metric: r.metric,
      ts: Number(r.ts),
      value: Number(r.value),
    }));
  }

  async ping(): Promise<void> {
    await this.db.get('SELECT 1 AS ok');
  }

  /** The database belongs to the cloud store, which closes it. */
  async close(): Promise<void> {}
}

/**
 * Full statements, then the remainder in powers of two: each distinct statement text is prepared
 * and cached once, so this keeps the cache to a dozen shapes instead of one per batch size.
 */
function insertSize(remaining: number): number {
  if (remaining >= MAX_ROWS_PER_INSERT) return MAX_ROWS_PER_INSERT;
  return 2 ** Math.floor(Math.log2(remaining));
}

type LatestRow = [assetId: string, metric: string, site: string, channel: string, ts: number, value: number];

/** A batch's newest point of each series: what telemetry_latest keeps. */
function newestPerSeries(rows: Row[]): LatestRow[] {
  const newest = new Map<string, LatestRow>();
  for (const [assetId, metric, ts, site, channel, value] of rows) {
    const key = `${assetId}\n${metric}\n${site}\n${channel}`;
    const seen = newest.get(key);
    if (!seen || ts >= seen[4]) newest.set(key, [assetId, metric, site, channel, ts, value]);
  }
  return [...newest.values()];
}

/** An older batch replayed late never overwrites a newer value. */
async function upsertLatest(tx: SqlExecutor, rows: LatestRow[]): Promise<void> {
  await tx.run(
    `INSERT INTO telemetry_latest (asset_id, metric, site, channel, ts, value)
       VALUES ${rowPlaceholders(rows.length, 6)}
       ON CONFLICT (asset_id, metric, site, channel)
       DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts >= telemetry_latest.ts`,
    rows.flat(),
  );
}

async function insertRows(tx: SqlExecutor, rows: Row[]): Promise<void> {
  await tx.run(
    `INSERT INTO telemetry_points (asset_id, metric, ts, site, channel, value, gateway_id)
       VALUES ${rowPlaceholders(rows.length, COLUMNS)}
       ON CONFLICT (asset_id, metric, ts, site, channel)
       DO UPDATE SET value = excluded.value, gateway_id = excluded.gateway_id`,
    rows.flat(),
  );
}
