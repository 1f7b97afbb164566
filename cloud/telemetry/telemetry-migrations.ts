import type { Migration } from '../store/sql-database.js';

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
];
