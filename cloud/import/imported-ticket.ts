import { createHash } from 'node:crypto';
import type { CloseOut, Ticket, WorkOrderLink } from '../../shared/schema/index.js';
import type { WorkOrderRecord } from './ticket-rows.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The rule every imported ticket is filed under; the version is "import" in hex (RuleRef wants hex). */
export const IMPORT_RULE = { id: 'import', version: Buffer.from('import').toString('hex') } as const;
export const IMPORT_GATEWAY = 'import';

/**
 * A ULID whose time part is when the work order was opened (so the ticket sorts with its era) and
 * whose random part is a hash of site and work order id: importing the same work order again
 * yields the same id, and the insert is a no-op.
 */
export function importedTicketId(record: Pick<WorkOrderRecord, 'site' | 'workOrderId' | 'openedAt'>): string {
  let time = Math.max(0, Date.parse(record.openedAt));
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  const hash = createHash('sha256').update(`${record.site}\u0000${record.workOrderId}`).digest();
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(hash[i] ?? 0);
  let randomPart = '';
  for (let i = 0; i < 16; i++) {
    randomPart = CROCKFORD[Number(bits & 31n)] + randomPart;
    bits >>= 5n;
  }
  return timePart + randomPart;
}

/** The ticket body (a valid `Ticket`) for an imported work order. */
export function importedTicket(record: WorkOrderRecord, source: string, row: number): Ticket {
  const end = record.closedAt ?? record.openedAt;
  return {
    id: importedTicketId(record),
    gatewayId: IMPORT_GATEWAY,
    site: record.site,
    assetId: record.assetId,
    fault: record.fault,
    severity: record.severity,
    status: record.status,
    condition: 'cleared',
    title: record.title,
    summary: record.description ?? '',
    suggestedAction: '',
    rule: { ...IMPORT_RULE },
    evidence: {
      triggeringValues: [],
      windowStart: record.openedAt,
      windowEnd: end,
      channel: 'import',
      reasoning: [`imported from ${source} row ${row} (work order ${record.workOrderId})`],
    },
    occurrences: 1,
    firstSeen: record.openedAt,
    lastSeen: end,
    clearedAt: end,
  };
}

/** The engineer's verdict, when the work order recorded one. */
export function importedCloseOut(record: WorkOrderRecord): CloseOut | undefined {
  if (!record.outcome) return undefined;
  return {
    outcome: record.outcome,
    ...(record.failureMode ? { failureMode: record.failureMode } : {}),
    actionTaken: record.actionTaken ?? 'not recorded in the imported work order',
    ...(record.outcome === 'confirmed' ? { failureAt: record.closedAt ?? record.openedAt } : {}),
  };
}

export const importedWorkOrder = (record: WorkOrderRecord, linkedAt: string): WorkOrderLink => ({
  system: 'import',
  externalId: record.workOrderId,
  linkedAt,
});
