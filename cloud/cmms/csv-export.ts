import { stringify } from 'csv-stringify/sync';
import { WORK_ORDER_FIELDS, type WorkOrder } from './work-order.js';

/** The work-order fields, then the id the CMMS gave the order (empty until one is stored back). */
export const CSV_COLUMNS = [...WORK_ORDER_FIELDS, 'externalId'] as const;

export interface CsvWorkOrder {
  order: WorkOrder;
  externalId?: string;
}

/**
 * RFC 4180 CSV (CRLF rows; a field with a comma, quote or line break is quoted, quotes doubled), for
 * a CMMS's import of work orders. The ticket id column is what to match the CMMS's ids back on.
 */
export function workOrdersCsv(rows: Iterable<CsvWorkOrder>): string {
  const records = [...rows].map(({ order, externalId }) =>
    Object.fromEntries(
      CSV_COLUMNS.map((column) => {
        const value = column === 'externalId' ? externalId : order[column];
        return [column, value === undefined ? '' : String(value)];
      }),
    ),
  );
  return stringify(records, { header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows' });
}
