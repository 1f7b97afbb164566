import { SITE_ID_PATTERN } from '../../shared/schema/access.js';
import { FAULTS, type Fault } from '../../shared/schema/fault.js';
import { OUTCOMES, type Outcome } from '../../shared/schema/review.js';
import { SEVERITIES, type Severity, TICKET_STATUSES, type TicketStatus } from '../../shared/schema/ticket.js';
import type { ImportProblem, RawRow } from './import-types.js';
import { RowReader } from './row-reader.js';

/** A row read: the record when every field is right, the key (for duplicates) when it could be read. */
export interface ParsedRow<R> {
  row: number;
  key?: string;
  record?: R;
  problems: ImportProblem[];
}

/** A work order from the old maintenance system, to become a closed (or open) ticket. */
export interface WorkOrderRecord {
  workOrderId: string;
  assetId: string;
  site: string;
  fault: Fault;
  severity: Severity;
  status: TicketStatus;
  openedAt: string;
  closedAt?: string;
  title: string;
  outcome?: Outcome;
  failureMode?: string;
  actionTaken?: string;
  description?: string;
}

export const TICKET_FIELDS = [
  'workOrderId',
  'assetId',
  'site',
  'fault',
  'severity',
  'status',
  'openedAt',
  'closedAt',
  'title',
  'outcome',
  'failureMode',
  'actionTaken',
  'description',
] as const;
export const TICKET_ALIASES: Record<string, string> = {
  workOrder: 'workOrderId',
  wo: 'workOrderId',
  woNumber: 'workOrderId',
  asset: 'assetId',
  opened: 'openedAt',
  closed: 'closedAt',
  summary: 'description',
};

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SITE = new RegExp(SITE_ID_PATTERN);
const ID_HINT = 'may contain only letters, digits, _ . - (at most 64)';

/**
 * A row of a work-order file. Severity defaults to medium and status to closed (history is mostly
 * closed work); fault is required because every ticket, and every rule statistic, has one.
 */
export function ticketRow(
  raw: RawRow,
  fieldOf: ReadonlyMap<string, string>,
  encoding: string,
  timeZone: string,
): ParsedRow<WorkOrderRecord> {
  const r = new RowReader(raw.row, raw.cells, fieldOf, encoding);
  const workOrderId = r.text('workOrderId', { required: true, max: 128 });
  const assetId = r.text('assetId', { required: true, pattern: ID, hint: ID_HINT });
  const site = r.text('site', { required: true, pattern: SITE, hint: ID_HINT });
  const fault = r.oneOf('fault', FAULTS, { required: true });
  const severity = r.oneOf('severity', SEVERITIES) ?? 'medium';
  const status = r.oneOf('status', TICKET_STATUSES) ?? 'closed';
  const openedAt = r.date('openedAt', timeZone, { required: true });
  const closedAt = r.date('closedAt', timeZone);
  const title = r.text('title', { required: true, max: 200 });
  const outcome = r.oneOf('outcome', OUTCOMES);
  const failureMode = r.text('failureMode', {
    pattern: /^[A-Za-z0-9_.-]{1,32}$/,
    hint: ID_HINT.replace('64', '32'),
  });
  const actionTaken = r.text('actionTaken', { min: 3, max: 4000 });
  const description = r.text('description', { max: 4000 });
  if (openedAt && closedAt && closedAt < openedAt) {
    r.problem('closedAt', `closedAt is before openedAt (${openedAt})`, closedAt);
  }
  const key = workOrderId;
  if (r.problems.length > 0 || !workOrderId || !assetId || !site || !fault || !openedAt || !title) {
    return { row: raw.row, problems: r.problems, ...(key !== undefined ? { key } : {}) };
  }
  return {
    row: raw.row,
    key: workOrderId,
    problems: [],
    record: {
      workOrderId,
      assetId,
      site,
      fault,
      severity,
      status,
      openedAt,
      title,
      ...(closedAt !== undefined ? { closedAt } : {}),
      ...(outcome !== undefined ? { outcome } : {}),
      ...(failureMode !== undefined ? { failureMode } : {}),
      ...(actionTaken !== undefined ? { actionTaken } : {}),
      ...(description !== undefined ? { description } : {}),
    },
  };
}
