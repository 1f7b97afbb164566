import type { Migration } from '../store/sql-database.js';

const FILL_LATEST = `
      INSERT INTO telemetry_latest (asset_id, metric, site, channel, ts, value)
        SELECT p.asset_id, p.metric, p.site, p.channel, p.ts, p.value FROM telemetry_points p
          JOIN (SELECT asset_id, metric, site, channel, MAX(ts) AS ts FROM telemetry_points
                 GROUP BY asset_id, metric, site, channel) newest
            ON p.asset_id = newest.asset_id AND p.metric = newest.metric AND p.site = newest.site
           AND p.channel = newest.channel AND p.ts = newest.ts;`;

/**
 * The store's telemetry table, used when no InfluxDB is configured: one row per field of a point.
 * The primary key makes a replayed batch overwrite itself instead of adding rows. Its column order
 * is the trend query's (asset, metric, time range; site and channel filtered inside the range), so
 * the one index serves both uniqueness and trends; SQLite keeps the rows clustered in it.
 */
export const telemetryMigrations: readonly Migration[] = [
  {
    id: 'telemetry-1',
    sqlite: `
      CREATE TABLE telemetry_points (
        asset_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        ts INTEGER NOT NULL,
        site TEXT NOT NULL,
        channel TEXT NOT NULL,
        value REAL NOT NULL,
        gateway_id TEXT NOT NULL,
        PRIMARY KEY (asset_id, metric, ts, site, channel)
      ) STRICT, WITHOUT ROWID;`,
    postgres: `
      CREATE TABLE telemetry_points (
        asset_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        ts BIGINT NOT NULL,
        site TEXT NOT NULL,
        channel TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        gateway_id TEXT NOT NULL,
        PRIMARY KEY (asset_id, metric, ts, site, channel)
      );`,
  },
  {
    // The newest value of each series (asset, metric, site, channel), kept on every write: the plant
    // overview reads it every 30 s, and finding it in telemetry_points means reading every row of a
    // metric. Filled from what is already stored.
    id: 'telemetry-2-latest',
    sqlite: `
      CREATE TABLE telemetry_latest (
        asset_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        site TEXT NOT NULL,
        channel TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (asset_id, metric, site, channel)
      ) STRICT, WITHOUT ROWID;
      ${FILL_LATEST}`,
    postgres: `
      CREATE TABLE telemetry_latest (
        asset_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        site TEXT NOT NULL,
        channel TEXT NOT NULL,
        ts BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (asset_id, metric, site, channel)
      );
      ${FILL_LATEST}`,
  },
];
