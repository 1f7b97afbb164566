import type { Migration } from '../store/sql-database.js';

/** The store's telemetry table, used when no InfluxDB is configured. */
export const telemetryMigrations: readonly Migration[] = [];
