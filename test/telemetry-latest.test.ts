import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_MIGRATIONS } from '../cloud/cloud-modules.js';
import { openCloudDatabase } from '../cloud/open-cloud-store.js';
import { openMigratedDatabase } from '../cloud/store/open-sql-database.js';
import type { SqlDatabase } from '../cloud/store/sql-database.js';
import { openTelemetrySink } from '../cloud/telemetry/open-telemetry-sink.js';
import type { TelemetrySink } from '../cloud/telemetry/telemetry-sink.js';
import type { TelemetryPoint } from '../shared/schema/telemetry.js';
import { CLOUD_STORES, newCloudDatabase } from './helpers/cloud-databases.js';
import { type InfluxServer, startInfluxServer } from './helpers/influx-server.js';
import { removeTempDirs, silentLogger } from './helpers/stack.js';

const T0 = Date.UTC(2026, 0, 5);
const METRICS = ['velocityRmsMmS', 'isoZoneIndex', 'value'];

afterAll(removeTempDirs);

/**
 * pump-1/de: an hour of rising velocity ending at 2.5 mm/s, zone B (a bucket mean would read 1.5,
 * the maximum 2.5 only by chance: the newest is lower than earlier ones); its zone's newest point is
 * older than its velocity's. pump-1/temp a scalar; fan-9 at another site.
 */
function points(): TelemetryPoint[] {
  const out: TelemetryPoint[] = [];
  for (let i = 0; i < 60; i++) {
    out.push({
      ts: T0 + i * 60_000,
      site: 'site-a',
      assetId: 'pump-1',
      channel: 'de',
      fields: { velocityRmsMmS: i === 59 ? 2.5 : i / 10, kurtosis: 3 },
    });
  }
  out.push(
    { ts: T0 + 30 * 60_000, site: 'site-a', assetId: 'pump-1', channel: 'de', fields: { isoZoneIndex: 3 } },
    { ts: T0 + 40 * 60_000, site: 'site-a', assetId: 'pump-1', channel: 'de', fields: { isoZoneIndex: 1 } },
    { ts: T0 + 10_000, site: 'site-a', assetId: 'pump-1', channel: 'temp', fields: { value: 80 } },
    { ts: T0 + 20_000, site: 'site-a', assetId: 'pump-1', channel: 'temp', fields: { value: 61.5 } },
    { ts: T0 + 5_000, site: 'site-b', assetId: 'fan-9', channel: 'de', fields: { velocityRmsMmS: 7.2 } },
  );
  return out;
}

/** What every sink's latest() must do; run on InfluxDB and on both SQL stores. */
function latestContract(open: () => Promise<TelemetrySink>) {
  let sink: TelemetrySink;
  beforeAll(async () => {
    sink = await open();
    await sink.write('gw-1', points());
  });

  it('answers the newest value of each metric per asset channel, with its own time', async () => {
    const latest = await sink.latest({ metrics: METRICS });
    expect(latest).toEqual([
      {
        site: 'site-b',
        assetId: 'fan-9',
        channel: 'de',
        metric: 'velocityRmsMmS',
        ts: T0 + 5_000,
        value: 7.2,
      },
      {
        site: 'site-a',
        assetId: 'pump-1',
        channel: 'de',
        metric: 'isoZoneIndex',
        ts: T0 + 40 * 60_000,
        value: 1,
      },
      {
        site: 'site-a',
        assetId: 'pump-1',
        channel: 'de',
        metric: 'velocityRmsMmS',
        ts: T0 + 59 * 60_000,
        value: 2.5,
      },
      { site: 'site-a', assetId: 'pump-1', channel: 'temp', metric: 'value', ts: T0 + 20_000, value: 61.5 },
    ]);
  });

  it('keeps to the sites, assets and metrics asked for', async () => {
    expect(await sink.latest({ metrics: METRICS, sites: ['site-b'] })).toEqual([
      expect.objectContaining({ assetId: 'fan-9', value: 7.2 }),
    ]);
    expect(await sink.latest({ metrics: ['value'], assetIds: ['pump-1', 'nothing'] })).toEqual([
      expect.objectContaining({ channel: 'temp', value: 61.5 }),
    ]);
    expect(await sink.latest({ metrics: METRICS, sites: [] })).toEqual([]);
    expect(await sink.latest({ metrics: METRICS, assetIds: ['fan-9'], sites: ['site-a'] })).toEqual([]);
  });

  it('keeps the newest when an older batch arrives late (a gateway replaying its buffer)', async () => {
    await sink.write('gw-1', [
      { ts: T0, site: 'site-a', assetId: 'pump-1', channel: 'temp', fields: { value: 99 } },
      { ts: T0 + 30_000, site: 'site-a', assetId: 'pump-1', channel: 'temp', fields: { value: 64 } },
    ]);
    expect(await sink.latest({ metrics: ['value'], assetIds: ['pump-1'] })).toEqual([
      { site: 'site-a', assetId: 'pump-1', channel: 'temp', metric: 'value', ts: T0 + 30_000, value: 64 },
    ]);
  });
}

describe('latest telemetry in InfluxDB 1.x', () => {
  let influx: InfluxServer;
  beforeAll(async () => {
    influx = await startInfluxServer();
  }, 60_000);
  afterAll(async () => {
    await influx?.stop();
  });

  latestContract(() =>
    openTelemetrySink({
      influxUrl: `${influx.url}/latest_test`,
      db: undefined as never,
      logger: silentLogger(),
    }),
  );
});

describe.each(CLOUD_STORES)('latest telemetry in the %s store', (kind) => {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await openCloudDatabase(await newCloudDatabase(kind));
  });
  afterAll(async () => {
    await db.close();
  });

  latestContract(() => openTelemetrySink({ db, logger: silentLogger() }));

  it('fills the latest values from the history already stored when the migration runs', async () => {
    const url = await newCloudDatabase(kind);
    const before = await openMigratedDatabase(
      url,
      CLOUD_MIGRATIONS.filter((m) => m.id !== 'telemetry-2-latest'),
    );
    await before.run(
      `INSERT INTO telemetry_points (asset_id, metric, ts, site, channel, value, gateway_id)
         VALUES ('pump-1', 'value', ?, 'site-a', 'temp', 70, 'gw-1'), ('pump-1', 'value', ?, 'site-a', 'temp', 71.5, 'gw-1')`,
      [T0, T0 + 1000],
    );
    await before.close();
    const after = await openCloudDatabase(url);
    try {
      const sink = await openTelemetrySink({ db: after, logger: silentLogger() });
      expect(await sink.latest({ metrics: ['value'] })).toEqual([
        { site: 'site-a', assetId: 'pump-1', channel: 'temp', metric: 'value', ts: T0 + 1000, value: 71.5 },
      ]);
    } finally {
      await after.close();
    }
  });
});
