import {
  DataType,
  makeEUInformation,
  type Namespace,
  type StatusCode,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
} from 'node-opcua';
import type { Logger } from 'pino';
import type { AssetHealth } from '../../status/asset-health.js';
import { ne107Code } from './ne107.js';
import { measuredQuality, type ValueQuality } from './value-quality.js';

/** UN/ECE common code C16: what a SCADA shows as mm/s. */
const MM_PER_S = makeEUInformation('C16', 'mm/s', 'millimetre per second');
/** ISO 20816 charts end near 45 mm/s: the range a trend display scales to, not a limit. */
const VELOCITY_RANGE = { low: 0, high: 50 };

const QUALITY: Record<ValueQuality, StatusCode> = {
  Good: StatusCodes.Good,
  UncertainLastUsableValue: StatusCodes.UncertainLastUsableValue,
  BadNoCommunication: StatusCodes.BadNoCommunication,
  BadWaitingForInitialData: StatusCodes.BadWaitingForInitialData,
};

interface AssetVariables {
  healthState: UAVariable;
  ne107Status: UAVariable;
  ne107Code: UAVariable;
  isoZone: UAVariable;
  velocityRms: UAVariable;
  openTickets: UAVariable;
  lastDataAt: UAVariable;
  findingsFolder: UAObject;
  findings: Map<string, UAVariable>;
}

/** Everything a client may do with these nodes: read and subscribe, never write. */
const READ_ONLY = { accessLevel: 'CurrentRead', userAccessLevel: 'CurrentRead' } as const;

/**
 * An asset id as the first part of its node ids. `.` separates the parts (`s=pump-1.HealthState`)
 * and may occur in an asset id too, where it is written `%2E` (and `%` as `%25`): `line.3` and
 * `line` with a variable `3` can no longer meet. `%` is outside the asset-id alphabet
 * (shared/schema/reading.ts), so an id without `.` keeps the node ids it always had.
 */
export const assetNodeKey = (assetId: string): string =>
  assetId.replaceAll('%', '%25').replaceAll('.', '%2E');

/**
 * The `Assets` folder and, per asset, its condition variables. Nodes are created the first time an
 * asset or a fault shows up and kept afterwards, so a client's node ids stay valid for the server's
 * life. Node ids are strings a SCADA engineer can type: `s=<assetId>.HealthState`,
 * `s=<assetId>.Findings.<fault>` (with `assetNodeKey` for an id that holds a `.`).
 */
export class AssetNodes {
  private readonly assets = new Map<string, AssetVariables>();
  /** What each variable was last set to, so an unchanged value keeps the time it changed. */
  private readonly written = new WeakMap<UAVariable, string>();
  private readonly folder: UAObject;
  /** Assets whose last update failed: logged when they start failing, not on every refresh. */
  private readonly failing = new Set<string>();
  /** Asset updates that failed since start. */
  failedUpdates = 0;

  constructor(
    private readonly namespace: Namespace,
    private readonly log?: Pick<Logger, 'error' | 'info'>,
    /** Called on every failed asset update (a metric counts them). */
    private readonly onFailed?: () => void,
  ) {
    const objects = namespace.addressSpace.rootFolder.objects;
    this.folder = namespace.addFolder(objects, { browseName: 'Assets', nodeId: 's=Assets' });
  }

  /**
   * Brings every asset's variables to `health`, creating the nodes of new assets and faults. One
   * asset that fails keeps its old values; the others are brought up to date all the same.
   */
  update(health: readonly AssetHealth[], now: number, staleAfterMs: number): void {
    for (const asset of health) {
      try {
        this.updateAsset(asset, now, staleAfterMs);
      } catch (error) {
        this.failedUpdates++;
        this.onFailed?.();
        if (this.failing.has(asset.assetId)) continue;
        this.failing.add(asset.assetId);
        this.log?.error(
          { err: error, assetId: asset.assetId, failedUpdates: this.failedUpdates },
          `OPC-UA server could not bring asset ${asset.assetId} up to date; its values stay as they were, the other assets are served`,
        );
        continue;
      }
      if (this.failing.delete(asset.assetId))
        this.log?.info({ assetId: asset.assetId }, `OPC-UA server serves asset ${asset.assetId} again`);
    }
  }

  private updateAsset(asset: AssetHealth, now: number, staleAfterMs: number): void {
    const at = new Date(now);
    const nodes = this.assets.get(asset.assetId) ?? this.addAsset(asset.assetId);
    const set = (variable: UAVariable, value: Variant, quality: ValueQuality = 'Good') => {
      const key = `${quality} ${value.value instanceof Date ? value.value.getTime() : String(value.value)}`;
      if (this.written.get(variable) === key) return;
      this.written.set(variable, key);
      variable.setValueFromSource(value, QUALITY[quality], at);
    };
    const measured = (hasValue: boolean) => measuredQuality(asset, hasValue, now, staleAfterMs);

    set(nodes.healthState, string(asset.state));
    set(nodes.ne107Status, string(asset.ne107));
    set(nodes.ne107Code, new Variant({ dataType: DataType.Int32, value: ne107Code(asset.ne107) }));
    set(nodes.openTickets, new Variant({ dataType: DataType.UInt32, value: asset.openTickets }));
    set(nodes.isoZone, string(asset.isoZone ?? ''), measured(asset.isoZone !== undefined));
    set(nodes.velocityRms, double(asset.velocityRmsMmS ?? 0), measured(asset.velocityRmsMmS !== undefined));
    set(
      nodes.lastDataAt,
      new Variant({
        dataType: DataType.DateTime,
        value: asset.lastDataAt === undefined ? null : new Date(asset.lastDataAt),
      }),
      // When the last data came is a fact however old it is; only "never" has no value.
      measuredQuality(asset, true, now, Number.POSITIVE_INFINITY),
    );
    const current = new Map(asset.findings.map((f) => [f.fault, f.confidence]));
    for (const fault of current.keys())
      if (!nodes.findings.has(fault)) nodes.findings.set(fault, this.addFinding(asset.assetId, nodes, fault));
    // A fault the latest analysis no longer names has no confidence now: 0, not its old value.
    for (const [fault, variable] of nodes.findings)
      set(variable, double(current.get(fault) ?? 0), measured(true));
  }

  private addAsset(assetId: string): AssetVariables {
    const ns = this.namespace;
    const key = assetNodeKey(assetId);
    const object = ns.addObject({ organizedBy: this.folder, browseName: assetId, nodeId: `s=${key}` });
    try {
      const nodes = this.addAssetVariables(object, key);
      this.assets.set(assetId, nodes);
      return nodes;
    } catch (error) {
      // Half an asset would make every later attempt fail on the nodes already there.
      ns.deleteNode(object);
      throw error;
    }
  }

  private addAssetVariables(object: UAObject, key: string): AssetVariables {
    const ns = this.namespace;
    const variable = (name: string, dataType: DataType, description: string) =>
      ns.addVariable({
        componentOf: object,
        browseName: name,
        nodeId: `s=${key}.${name}`,
        description,
        dataType,
        minimumSamplingInterval: 0,
        ...READ_ONLY,
      });
    const nodes: AssetVariables = {
      healthState: variable('HealthState', DataType.String, 'healthy, watch, alarm or unknown'),
      ne107Status: variable(
        'NE107Status',
        DataType.String,
        'NAMUR NE 107: normal, maintenance_required, out_of_specification, check_function or failure',
      ),
      ne107Code: variable(
        'NE107Code',
        DataType.Int32,
        'NAMUR NE 107 as a number: 0 normal, 1 maintenance required, 2 out of specification, 3 check function, 4 failure',
      ),
      isoZone: variable('IsoZone', DataType.String, 'worst ISO 20816 zone (A-D) over the vibration channels'),
      velocityRms: ns.addAnalogDataItem({
        componentOf: object,
        browseName: 'VelocityRms',
        nodeId: `s=${key}.VelocityRms`,
        description: 'largest ISO 20816 velocity RMS over the channels',
        dataType: 'Double',
        engineeringUnits: MM_PER_S,
        engineeringUnitsRange: VELOCITY_RANGE,
        minimumSamplingInterval: 0,
        ...READ_ONLY,
      }),
      openTickets: variable('OpenTickets', DataType.UInt32, 'maintenance tickets open for the asset'),
      lastDataAt: variable('LastDataAt', DataType.DateTime, 'when the agent last received good data'),
      // A folder organized by the asset (addFolder wants a folder as parent, and the asset is an object).
      findingsFolder: ns.addObject({
        organizedBy: object,
        typeDefinition: 'FolderType',
        browseName: 'Findings',
        nodeId: `s=${key}.Findings`,
      }),
      findings: new Map(),
    };
    return nodes;
  }

  private addFinding(assetId: string, nodes: AssetVariables, fault: string): UAVariable {
    return this.namespace.addVariable({
      organizedBy: nodes.findingsFolder,
      browseName: fault,
      nodeId: `s=${assetNodeKey(assetId)}.Findings.${fault}`,
      description: `confidence 0-1 that the latest analysis shows ${fault}`,
      dataType: DataType.Double,
      minimumSamplingInterval: 0,
      ...READ_ONLY,
    });
  }
}

const string = (value: string) => new Variant({ dataType: DataType.String, value });
const double = (value: number) => new Variant({ dataType: DataType.Double, value });
