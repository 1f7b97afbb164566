import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId } from '../../shared/schema/reading.js';
import { placeholders, type SqlExecutor, type SqlValue } from '../store/sql-database.js';

/** A machine in the registry (table `assets`, filled by `plantwatch cloud import assets`). */
export const RegistryAsset = Type.Object({
  assetId: AssetId,
  site: Type.String(),
  name: Type.Optional(Type.String()),
  group: Type.Optional(Type.String()),
  machineClass: Type.Optional(Type.String()),
  rpm: Type.Optional(Type.Number()),
  bearing: Type.Optional(Type.String()),
  channels: Type.Array(ChannelId),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type RegistryAsset = Static<typeof RegistryAsset>;

interface AssetRow {
  asset_id: string;
  site: string;
  name: string | null;
  asset_group: string | null;
  machine_class: string | null;
  rpm: number | null;
  bearing: string | null;
  channels: string;
  updated_at: string;
}

export interface AssetFilter {
  /** undefined: every site. */
  sites?: readonly string[];
  site?: string;
  group?: string;
  /** Only these assets. */
  assetIds?: readonly string[];
}

/** The registry's assets, by site then id. */
export async function listAssets(db: SqlExecutor, filter: AssetFilter = {}): Promise<RegistryAsset[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.sites) {
    where.push(`site IN (${placeholders(filter.sites.length) || 'NULL'})`);
    params.push(...filter.sites);
  }
  if (filter.site !== undefined) {
    where.push('site = ?');
    params.push(filter.site);
  }
  if (filter.assetIds) {
    where.push(`asset_id IN (${placeholders(filter.assetIds.length) || 'NULL'})`);
    params.push(...filter.assetIds);
  }
  if (filter.group !== undefined) {
    where.push('asset_group = ?');
    params.push(filter.group);
  }
  const rows = await db.all<AssetRow>(
    `SELECT asset_id, site, name, asset_group, machine_class, rpm, bearing, channels, updated_at FROM assets
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY site, asset_id`,
    params,
  );
  return rows.map((r) => ({
    assetId: r.asset_id,
    site: r.site,
    ...(r.name !== null ? { name: r.name } : {}),
    ...(r.asset_group !== null ? { group: r.asset_group } : {}),
    ...(r.machine_class !== null ? { machineClass: r.machine_class } : {}),
    ...(r.rpm !== null ? { rpm: Number(r.rpm) } : {}),
    ...(r.bearing !== null ? { bearing: r.bearing } : {}),
    channels: JSON.parse(r.channels) as string[],
    updatedAt: r.updated_at,
  }));
}

/** The registered site of each of these assets that the registry holds (one indexed read). */
export async function registeredSites(
  db: SqlExecutor,
  assetIds: readonly string[],
): Promise<Map<string, string>> {
  const ids = [...new Set(assetIds)];
  if (ids.length === 0) return new Map();
  const rows = await db.all<{ asset_id: string; site: string }>(
    `SELECT asset_id, site FROM assets WHERE asset_id IN (${placeholders(ids.length)})`,
    ids,
  );
  return new Map(rows.map((r) => [r.asset_id, r.site]));
}
