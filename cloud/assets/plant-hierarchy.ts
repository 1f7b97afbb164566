import {
  type AssetHealth,
  HEALTH_STATES,
  type HealthCounts,
  type HealthState,
  type PlantReply,
  UNASSIGNED_AREA,
} from './plant-types.js';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sites → areas → assets, each level by name ("unassigned" last in its site), and the count per
 * state over all of them; the health filter applies after counting, so the heading still tells
 * what the filter hides.
 */
export function groupPlant(
  assets: readonly AssetHealth[],
  only?: HealthState,
): Pick<PlantReply, 'counts' | 'sites'> {
  const counts: HealthCounts = Object.fromEntries(HEALTH_STATES.map((s) => [s, 0])) as HealthCounts;
  const sites = new Map<string, Map<string, AssetHealth[]>>();
  for (const asset of assets) {
    counts[asset.state] += 1;
    if (only !== undefined && asset.state !== only) continue;
    const areas = sites.get(asset.site) ?? new Map<string, AssetHealth[]>();
    sites.set(asset.site, areas);
    areas.set(asset.area, [...(areas.get(asset.area) ?? []), asset]);
  }
  const areaOrder = (a: string, b: string) =>
    Number(a === UNASSIGNED_AREA) - Number(b === UNASSIGNED_AREA) || byText(a, b);
  return {
    counts,
    sites: [...sites.entries()]
      .sort(([a], [b]) => byText(a, b))
      .map(([site, areas]) => ({
        site,
        areas: [...areas.entries()]
          .sort(([a], [b]) => areaOrder(a, b))
          .map(([area, list]) => ({ area, assets: [...list].sort((a, b) => byText(a.assetId, b.assetId)) })),
      })),
  };
}
