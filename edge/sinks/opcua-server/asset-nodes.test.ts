import { AddressSpace, generateAddressSpace, nodesets, StatusCodes, type UAVariable } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import type { AssetHealth } from '../../status/asset-health.js';
import { AssetNodes, assetNodeKey } from './asset-nodes.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const STALE_AFTER_MS = 60_000;

let addressSpace: AddressSpace;
beforeAll(async () => {
  addressSpace = AddressSpace.create();
  await generateAddressSpace(addressSpace, [nodesets.standard]);
});
afterAll(() => addressSpace.dispose());

const pump = (extra: Partial<AssetHealth>): AssetHealth => ({
  assetId: 'pump-1',
  state: 'watch',
  ne107: 'maintenance_required',
  isoZone: 'B',
  velocityRmsMmS: 2.5,
  findings: [{ fault: 'unbalance', confidence: 0.6 }],
  openTickets: 0,
  lastDataAt: NOW - 1000,
  ...extra,
});

describe('the Assets address space', () => {
  it('adds assets and faults as they appear, zeroes a fault no longer found, and never serves a stale value as Good', () => {
    const namespace = addressSpace.registerNamespace('urn:test:asset-nodes');
    const nodes = new AssetNodes(namespace);
    const variable = (id: string) => addressSpace.findNode(`ns=${namespace.index};s=${id}`) as UAVariable;
    const value = (id: string) => variable(id).readValue();

    nodes.update([pump({})], NOW, STALE_AFTER_MS);
    expect(value('pump-1.HealthState').value.value).toBe('watch');
    expect(value('pump-1.NE107Code').value.value).toBe(1);
    expect(value('pump-1.Findings.unbalance').value.value).toBe(0.6);
    expect(value('pump-1.VelocityRms').statusCode).toBe(StatusCodes.Good);
    expect(variable('fan-2.HealthState')).toBeNull();

    // A new fault and a new asset that was never heard from.
    nodes.update(
      [
        pump({ findings: [{ fault: 'outer_race', confidence: 0.9 }] }),
        { assetId: 'fan-2', state: 'unknown', ne107: 'check_function', findings: [], openTickets: 0 },
      ],
      NOW,
      STALE_AFTER_MS,
    );
    expect(value('pump-1.Findings.outer_race').value.value).toBe(0.9);
    expect(value('pump-1.Findings.unbalance').value.value).toBe(0);
    expect(value('fan-2.HealthState')).toMatchObject({
      value: { value: 'unknown' },
      statusCode: StatusCodes.Good,
    });
    expect(value('fan-2.VelocityRms').statusCode).toBe(StatusCodes.BadNoCommunication);
    expect(value('fan-2.LastDataAt').statusCode).toBe(StatusCodes.BadNoCommunication);

    // The pump's data ages past staleAfter: its measured values are the last usable ones.
    const later = NOW + STALE_AFTER_MS + 1;
    nodes.update(
      [pump({ state: 'unknown', ne107: 'check_function', isoZone: undefined })],
      later,
      STALE_AFTER_MS,
    );
    expect(value('pump-1.VelocityRms')).toMatchObject({
      value: { value: 2.5 },
      statusCode: StatusCodes.UncertainLastUsableValue,
    });
    expect(value('pump-1.IsoZone').statusCode).toBe(StatusCodes.BadWaitingForInitialData);
    expect(value('pump-1.LastDataAt')).toMatchObject({
      value: { value: new Date(NOW - 1000) },
      statusCode: StatusCodes.Good,
    });
    expect(value('pump-1.NE107Status').value.value).toBe('check_function');
    // Unchanged values keep the time they changed at.
    expect(value('pump-1.OpenTickets').sourceTimestamp).toEqual(new Date(NOW));
  });
});

describe('asset ids with a dot', () => {
  const health = (assetId: string, state: AssetHealth['state'] = 'healthy'): AssetHealth => ({
    ...pump({ state }),
    assetId,
  });

  it('keep node ids apart, and leave the ids of other assets as they were', () => {
    const namespace = addressSpace.registerNamespace('urn:test:asset-nodes-dots');
    const nodes = new AssetNodes(namespace);
    const node = (id: string) => addressSpace.findNode(`ns=${namespace.index};s=${id}`);
    const value = (id: string) => (node(id) as UAVariable).readValue().value.value as unknown;

    // Before, `line.HealthState` and `line.Findings` were node ids of asset `line` too.
    nodes.update(
      [health('line'), health('line.HealthState', 'alarm'), health('line.Findings', 'watch'), health('a%2E')],
      NOW,
      STALE_AFTER_MS,
    );
    expect(nodes.failedUpdates).toBe(0);
    expect(assetNodeKey('pump-1')).toBe('pump-1');
    expect(value('line.HealthState')).toBe('healthy');
    expect(node('line%2EHealthState')?.browseName.name).toBe('line.HealthState');
    expect(value('line%2EHealthState.HealthState')).toBe('alarm');
    expect(value('line%2EFindings.HealthState')).toBe('watch');
    expect(value('line%2EFindings.Findings.unbalance')).toBe(0.6);
    expect(value('a%252E.HealthState')).toBe('healthy');
  });
});

describe('an asset whose nodes cannot be made', () => {
  it('is logged once and retried, while the assets after it are served', () => {
    const namespace = addressSpace.registerNamespace('urn:test:asset-nodes-failure');
    const logged: { level: string; assetId: unknown }[] = [];
    const log = {
      error: (fields: { assetId?: unknown }) => logged.push({ level: 'error', assetId: fields.assetId }),
      info: (fields: { assetId?: unknown }) => logged.push({ level: 'info', assetId: fields.assetId }),
    } as unknown as Pick<Logger, 'error' | 'info'>;
    let counted = 0;
    const nodes = new AssetNodes(namespace, log, () => counted++);
    const value = (id: string) =>
      (addressSpace.findNode(`ns=${namespace.index};s=${id}`) as UAVariable).readValue().value
        .value as unknown;
    // Something else holds a node id the asset's second variable needs: its object is made first.
    const blocker = namespace.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: 'Blocker',
      nodeId: 's=press-1.NE107Status',
    });

    for (const state of ['watch', 'alarm'] as const)
      nodes.update([pump({ state, assetId: 'press-1' }), pump({ state })], NOW, STALE_AFTER_MS);
    expect(value('pump-1.HealthState')).toBe('alarm');
    expect(nodes.failedUpdates).toBe(2);
    expect(counted).toBe(2);
    expect(logged).toEqual([{ level: 'error', assetId: 'press-1' }]);

    // Nothing of the half-made asset is left behind to fail the next attempt.
    namespace.deleteNode(blocker);
    nodes.update([pump({ assetId: 'press-1', state: 'alarm' })], NOW, STALE_AFTER_MS);
    expect(value('press-1.NE107Status')).toBe('maintenance_required');
    expect(value('press-1.HealthState')).toBe('alarm');
    expect(logged).toEqual([
      { level: 'error', assetId: 'press-1' },
      { level: 'info', assetId: 'press-1' },
    ]);
  });
});
