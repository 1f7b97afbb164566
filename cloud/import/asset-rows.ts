import { BEARING_CATALOG } from '../../shared/bearings.js';
import { SITE_ID_PATTERN } from '../../shared/schema/access.js';
import { MACHINE_CLASS_NAMES, type MachineClass } from '../../shared/schema/asset.js';
import type { RawRow } from './import-types.js';
import type { ParsedRow } from './ticket-rows.js';
import { RowReader } from './row-reader.js';

/** One machine in the registry, as the import writes it into `assets`. */
export interface AssetRecord {
  assetId: string;
  site: string;
  name?: string;
  group?: string;
  machineClass?: MachineClass;
  rpm?: number;
  bearing?: string;
  channels?: string[];
}

export const ASSET_FIELDS = [
  'assetId',
  'site',
  'name',
  'group',
  'machineClass',
  'rpm',
  'bearing',
  'channels',
] as const;
export const ASSET_ALIASES: Record<string, string> = { id: 'assetId', asset: 'assetId', assetGroup: 'group' };

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SITE = new RegExp(SITE_ID_PATTERN);
const ID_HINT = 'may contain only letters, digits, _ . - (at most 64)';
const BEARING_IDS = BEARING_CATALOG.map((b) => b.id);

/** A row of an assets file: the record, or its problems. */
export function assetRow(
  raw: RawRow,
  fieldOf: ReadonlyMap<string, string>,
  encoding: string,
): ParsedRow<AssetRecord> {
  const r = new RowReader(raw.row, raw.cells, fieldOf, encoding);
  const assetId = r.text('assetId', { required: true, pattern: ID, hint: ID_HINT });
  const site = r.text('site', { required: true, pattern: SITE, hint: ID_HINT });
  const name = r.text('name', { max: 200 });
  const group = r.text('group', { max: 64 });
  const machineClass = r.oneOf('machineClass', MACHINE_CLASS_NAMES);
  const rpm = r.number('rpm', { above: 0, max: 100_000 });
  const bearing = r.oneOf('bearing', BEARING_IDS);
  const channels = r.list('channels', ID, ID_HINT);
  const key = assetId;
  if (r.problems.length > 0 || assetId === undefined || site === undefined) {
    return { row: raw.row, problems: r.problems, ...(key !== undefined ? { key } : {}) };
  }
  return {
    row: raw.row,
    key: assetId,
    problems: [],
    record: {
      assetId,
      site,
      ...(name !== undefined ? { name } : {}),
      ...(group !== undefined ? { group } : {}),
      ...(machineClass !== undefined ? { machineClass } : {}),
      ...(rpm !== undefined ? { rpm } : {}),
      ...(bearing !== undefined ? { bearing } : {}),
      ...(channels !== undefined ? { channels } : {}),
    },
  };
}
