import type { Logger } from 'pino';
import type { SqlDatabase } from '../store/sql-database.js';
import type { TelemetrySink } from './telemetry-sink.js';

/** InfluxDB when the cloud is given one (`--influx`), else the cloud's own database; only that sink is loaded. */
export async function openTelemetrySink(options: {
  influxUrl?: string;
  db: SqlDatabase;
  logger: Logger;
}): Promise<TelemetrySink> {
  if (options.influxUrl) {
    const { InfluxTelemetry } = await import('./influx-telemetry.js');
    return InfluxTelemetry.open(options.influxUrl, options.logger);
  }
  const { StoreTelemetry } = await import('./store-telemetry.js');
  return new StoreTelemetry(options.db);
}
