import type { AssetHealth } from '../../status/asset-health.js';

/** A metric the agent publishes as an edge node, with its Sparkplug datatype. */
export interface NodeMetric {
  name: string;
  type: 'String' | 'Float' | 'Int32' | 'Boolean' | 'UInt64';
  /** null: no value now (published with is_null), e.g. no ISO zone before the first analysis. */
  value: string | number | boolean | null;
}

/**
 * The metrics of every asset's health, named `Assets/<assetId>/<what>` as a SCADA tag browser shows
 * them: Health in plain words, NE107 (NAMUR NE 107 status), ISOZone, VelocityRms (mm/s),
 * OpenTickets and one Findings/<fault> confidence per fault. `knownFindings`: faults published
 * before, kept at 0 once the analysis no longer finds them (a tag does not vanish from a host).
 */
export function assetMetrics(
  assets: readonly AssetHealth[],
  knownFindings: ReadonlySet<string> = new Set(),
): NodeMetric[] {
  return assets.flatMap((asset) => {
    const at = `Assets/${asset.assetId}`;
    const findings = new Map(asset.findings.map((f) => [f.fault, f.confidence]));
    for (const name of knownFindings) {
      const [assets, assetId, findingsLevel, fault] = name.split('/');
      if (assets === 'Assets' && assetId === asset.assetId && findingsLevel === 'Findings' && fault)
        if (!findings.has(fault)) findings.set(fault, 0);
    }
    return [
      { name: `${at}/Health`, type: 'String', value: asset.state },
      { name: `${at}/NE107`, type: 'String', value: asset.ne107 },
      { name: `${at}/ISOZone`, type: 'String', value: asset.isoZone ?? null },
      { name: `${at}/VelocityRms`, type: 'Float', value: asset.velocityRmsMmS ?? null },
      { name: `${at}/OpenTickets`, type: 'Int32', value: asset.openTickets },
      ...[...findings]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([fault, confidence]): NodeMetric => ({
          name: `${at}/Findings/${fault}`,
          type: 'Float',
          value: confidence,
        })),
    ];
  });
}
