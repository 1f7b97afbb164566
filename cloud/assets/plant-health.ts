import type { Severity } from '../../shared/schema/ticket.js';
import { SEVERITIES } from '../../shared/schema/ticket.js';
import { placeholders, type SqlExecutor, type SqlValue } from '../store/sql-database.js';
import type { LatestValue, TelemetrySink } from '../telemetry/telemetry-sink.js';
import { OPEN_STATUSES, SEVERITY_RANK } from '../tickets/ticket-lifecycle.js';
import { deriveHealth, isoZoneOf } from './asset-health.js';
import { listAssets, type RegistryAsset } from './asset-store.js';
import { type AssetHealth, UNASSIGNED_AREA } from './plant-types.js';

/** The telemetry fields the overview shows: velocity and zone of vibration channels, a scalar's value. */
const VELOCITY = 'velocityRmsMmS';
const ZONE = 'isoZoneIndex';
const SCALAR = 'value';
export const PLANT_METRICS = [VELOCITY, ZONE, SCALAR] as const;

export interface PlantFilter {
  /** Sites the caller may see; undefined = all. */
  sites?: readonly string[];
  /** Only these assets (the asset page asks for one). */
  assetIds?: readonly string[];
}

interface TicketSummary {
  assetId: string;
  site: string;
  openTickets: number;
  highestOpenSeverity?: Severity;
  lastUpdated: string;
}

const SEVERITY_BY_RANK = new Map(SEVERITIES.map((s) => [SEVERITY_RANK[s], s]));

/** Every asset with tickets (open or not), its open count and worst open severity: one grouped read. */
async function ticketSummaries(db: SqlExecutor, filter: PlantFilter): Promise<TicketSummary[]> {
  const where: string[] = [];
  const params: SqlValue[] = [...OPEN_STATUSES, ...OPEN_STATUSES];
  if (filter.sites) {
    where.push(`site IN (${placeholders(filter.sites.length) || 'NULL'})`);
    params.push(...filter.sites);
  }
  if (filter.assetIds) {
    where.push(`asset_id IN (${placeholders(filter.assetIds.length) || 'NULL'})`);
    params.push(...filter.assetIds);
  }
  const open = `status IN (${placeholders(OPEN_STATUSES.length)})`;
  const rows = await db.all<{
    asset_id: string;
    site: string;
    open_count: number | string;
    worst_rank: number | string | null;
    last_updated: string;
  }>(
    `SELECT asset_id, site, SUM(CASE WHEN ${open} THEN 1 ELSE 0 END) AS open_count,
            MIN(CASE WHEN ${open} THEN severity_rank END) AS worst_rank, MAX(updated_at) AS last_updated
       FROM tickets ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       GROUP BY asset_id, site ORDER BY asset_id, site`,
    params,
  );
  return rows.map((r) => {
    const severity = r.worst_rank === null ? undefined : SEVERITY_BY_RANK.get(Number(r.worst_rank));
    return {
      assetId: r.asset_id,
      site: r.site,
      openTickets: Number(r.open_count),
      ...(severity ? { highestOpenSeverity: severity } : {}),
      lastUpdated: r.last_updated,
    };
  });
}

/** What is known of one asset from the three sources, before its health is derived. */
interface Gathered {
  assetId: string;
  registry?: RegistryAsset;
  tickets: TicketSummary[];
  telemetry: LatestValue[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const maxBy = <T>(items: T[], key: (item: T) => number): T | undefined =>
  items.reduce<T | undefined>(
    (best, item) => (best === undefined || key(item) > key(best) ? item : best),
    undefined,
  );

function assetHealth({ assetId, registry, tickets, telemetry }: Gathered, nowMs: number): AssetHealth {
  const velocities = telemetry.filter((v) => v.metric === VELOCITY);
  const zones = telemetry.filter((v) => v.metric === ZONE && isoZoneOf(v.value) !== undefined);
  // The machine is as bad as its worst bearing: the highest velocity and zone of its channels.
  const velocity = maxBy(velocities, (v) => v.value);
  const zone = maxBy(zones, (v) => v.value);
  const zoneName = zone ? isoZoneOf(zone.value) : undefined;
  const zoneVelocity = zone ? velocities.find((v) => v.channel === zone.channel) : undefined;
  const openTickets = tickets.reduce((sum, t) => sum + t.openTickets, 0);
  const highestOpenSeverity = tickets
    .map((t) => t.highestOpenSeverity)
    .filter((s): s is Severity => s !== undefined)
    .sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b])[0];
  const lastTelemetryMs = maxBy(telemetry, (v) => v.ts)?.ts;
  const health = deriveHealth({
    nowMs,
    ...(zone && zoneName
      ? {
          zone: {
            zone: zoneName,
            channel: zone.channel,
            ts: zone.ts,
            ...(zoneVelocity ? { velocityMmS: zoneVelocity.value } : {}),
          },
        }
      : {}),
    openTickets,
    ...(highestOpenSeverity ? { highestOpenSeverity } : {}),
    ...(lastTelemetryMs !== undefined ? { lastTelemetryMs } : {}),
  });
  // ISO times of one format sort as text.
  const lastSeen = [
    ...(lastTelemetryMs !== undefined ? [iso(lastTelemetryMs)] : []),
    ...tickets.map((t) => t.lastUpdated),
  ]
    .sort()
    .at(-1);
  const channels = [...new Set([...(registry?.channels ?? []), ...telemetry.map((v) => v.channel)])].sort();
  return {
    assetId,
    site: registry?.site ?? tickets[0]?.site ?? telemetry[0]?.site ?? '',
    area: registry?.group ?? UNASSIGNED_AREA,
    registered: registry !== undefined,
    ...(registry?.name !== undefined ? { name: registry.name } : {}),
    ...(registry?.machineClass !== undefined ? { machineClass: registry.machineClass } : {}),
    channels,
    state: health.state,
    reasons: health.reasons,
    openTickets,
    ...(highestOpenSeverity ? { highestOpenSeverity } : {}),
    ...(velocity
      ? { velocity: { channel: velocity.channel, valueMmS: velocity.value, at: iso(velocity.ts) } }
      : {}),
    ...(zone && zoneName ? { isoZone: { channel: zone.channel, zone: zoneName, at: iso(zone.ts) } } : {}),
    readings: telemetry
      .filter((v) => v.metric === SCALAR)
      .map((v) => ({ channel: v.channel, value: v.value, at: iso(v.ts) })),
    ...(lastSeen ? { lastSeen } : {}),
  };
}

/**
 * Every asset the cloud knows, with its health now: the registry's, and those it only heard of
 * through tickets or telemetry (area "unassigned"). An unregistered asset's site is that of its
 * tickets, else of its telemetry.
 */
export async function plantHealth(
  db: SqlExecutor,
  telemetry: TelemetrySink,
  filter: PlantFilter,
  nowMs: number,
): Promise<AssetHealth[]> {
  const [registry, tickets, latest] = await Promise.all([
    listAssets(db, {
      ...(filter.sites ? { sites: filter.sites } : {}),
      ...(filter.assetIds ? { assetIds: filter.assetIds } : {}),
    }),
    ticketSummaries(db, filter),
    telemetry.latest({ ...filter, metrics: PLANT_METRICS }),
  ]);
  const byAsset = new Map<string, Gathered>();
  const entry = (assetId: string): Gathered => {
    let found = byAsset.get(assetId);
    if (!found) byAsset.set(assetId, (found = { assetId, tickets: [], telemetry: [] }));
    return found;
  };
  for (const asset of registry) entry(asset.assetId).registry = asset;
  for (const summary of tickets) entry(summary.assetId).tickets.push(summary);
  for (const value of latest) entry(value.assetId).telemetry.push(value);
  return [...byAsset.values()].map((gathered) => assetHealth(gathered, nowMs));
}
