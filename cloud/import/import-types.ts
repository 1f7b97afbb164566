import { type Static, Type } from '@sinclair/typebox';
import type { DetectedEncoding } from './decode.js';

export const IMPORT_KINDS = ['assets', 'tickets'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** One defect: the row (CSV line, header = 1; or 1-based index in a JSON array) and field. */
export const ImportProblem = Type.Object({
  row: Type.Integer(),
  field: Type.String(),
  value: Type.Optional(Type.String()),
  message: Type.String(),
  suggestion: Type.Optional(Type.String()),
});
export type ImportProblem = Static<typeof ImportProblem>;

export const ImportReport = Type.Object({
  kind: Type.Union(IMPORT_KINDS.map((k) => Type.Literal(k))),
  source: Type.String(),
  encoding: Type.String({ description: 'utf-8, utf-8-bom or gbk: what the bytes were read as' }),
  rows: Type.Integer(),
  valid: Type.Integer(),
  problems: Type.Array(ImportProblem),
  wouldCreate: Type.Integer(),
  wouldUpdate: Type.Integer(),
  /** Tickets whose work order was imported before: skipped, not an error. */
  alreadyImported: Type.Integer(),
  dryRun: Type.Boolean(),
  applied: Type.Optional(Type.Object({ batches: Type.Integer(), rows: Type.Integer() })),
  job: Type.Optional(
    Type.Object({
      id: Type.String(),
      batches: Type.Integer(),
      resumedFromBatch: Type.Integer({ description: '0: started at the first batch' }),
    }),
  ),
});
export type ImportReport = Static<typeof ImportReport> & { encoding: DetectedEncoding };

/** A row read from the file: its position and its cells under the file's own column names. */
export interface RawRow {
  row: number;
  cells: Record<string, unknown>;
}
