import { createHash } from 'node:crypto';
import { recordAdminChange } from '../audit/admin-audit.js';
import type { Clock } from '../clock.js';
import type { CloudStore } from '../cloud-store.js';
import { ASSET_ALIASES, ASSET_FIELDS, type AssetRecord, assetRow } from './asset-rows.js';
import { decodeBytes, type EncodingChoice } from './decode.js';
import { isTimeZone } from '../zoned-time.js';
import { importedTicketId } from './imported-ticket.js';
import {
  existingAssetIds,
  existingTicketIds,
  findJob,
  markBatch,
  startJob,
  writeAssets,
  writeTickets,
} from './import-store.js';
import type { ImportKind, ImportProblem, ImportReport } from './import-types.js';
import { readRows } from './read-rows.js';
import { duplicateProblems, mapColumns } from './row-reader.js';
import {
  type ParsedRow,
  TICKET_ALIASES,
  TICKET_FIELDS,
  type WorkOrderRecord,
  ticketRow,
} from './ticket-rows.js';

export const DEFAULT_BATCH_SIZE = 500;

export interface ImportRequest {
  kind: ImportKind;
  bytes: Uint8Array;
  /** The file's name, for the report, problems and the tickets' reasoning. */
  source: string;
  dryRun?: boolean;
  encoding?: EncodingChoice;
  /** IANA zone for dates written without one; default UTC. */
  timeZone?: string;
  batchSize?: number;
  /** Forget the file's earlier partial run and start at the first batch. */
  restart?: boolean;
  actor: string;
  /** After each committed batch (1-based); progress output, and tests simulate a crash by throwing. */
  afterBatch?: (batch: number, batches: number) => void | Promise<void>;
  /** Tests only: runs inside a batch's transaction after its rows are written; throwing rolls it back. */
  insideBatch?: (batch: number) => void | Promise<void>;
}

type Checked =
  | { kind: 'assets'; rows: { row: number; record: AssetRecord }[] }
  | { kind: 'tickets'; rows: { row: number; record: WorkOrderRecord }[] };

/** The pre-check: every problem by row and field, and what an import would do; writes nothing. */
async function check(store: CloudStore, request: ImportRequest) {
  const timeZone = request.timeZone ?? 'UTC';
  const decoded = decodeBytes(request.bytes, request.encoding ?? 'auto');
  const read = readRows(decoded.text);
  const problems: ImportProblem[] = [...read.problems];
  if (!isTimeZone(timeZone)) {
    problems.push({
      row: 0,
      field: '(timezone)',
      value: timeZone,
      message: `unknown time zone "${timeZone}": use an IANA name like Europe/Berlin`,
    });
  }
  const fields = request.kind === 'assets' ? ASSET_FIELDS : TICKET_FIELDS;
  const columns = mapColumns(
    read.columns,
    fields,
    request.kind === 'assets' ? ASSET_ALIASES : TICKET_ALIASES,
  );
  problems.push(...columns.problems);
  const parsed: ParsedRow<AssetRecord | WorkOrderRecord>[] = read.rows.map((raw) =>
    request.kind === 'assets'
      ? assetRow(raw, columns.fieldOf, decoded.encoding)
      : ticketRow(raw, columns.fieldOf, decoded.encoding, timeZone),
  );
  for (const p of parsed) problems.push(...p.problems);
  const keyField = request.kind === 'assets' ? 'assetId' : 'workOrderId';
  const keyed = parsed.flatMap((p) => (p.key !== undefined ? [{ row: p.row, record: p.key }] : []));
  const duplicates = duplicateProblems(keyed, keyField, (k) => k);
  problems.push(...duplicates);
  const duplicateRows = new Set(duplicates.map((d) => d.row));
  const valid = parsed.filter((p) => p.record && !duplicateRows.has(p.row)) as {
    row: number;
    record: AssetRecord | WorkOrderRecord;
  }[];
  problems.sort((a, b) => a.row - b.row);
  const checked = { kind: request.kind, rows: valid } as Checked;

  let wouldCreate: number;
  let wouldUpdate = 0;
  let alreadyImported = 0;
  if (checked.kind === 'assets') {
    const known = await existingAssetIds(
      store.database,
      checked.rows.map((r) => r.record.assetId),
    );
    wouldUpdate = checked.rows.filter((r) => known.has(r.record.assetId)).length;
    wouldCreate = checked.rows.length - wouldUpdate;
  } else {
    const known = await existingTicketIds(
      store.database,
      checked.rows.map((r) => importedTicketId(r.record)),
    );
    alreadyImported = checked.rows.filter((r) => known.has(importedTicketId(r.record))).length;
    wouldCreate = checked.rows.length - alreadyImported;
  }
  const report: ImportReport = {
    kind: request.kind,
    source: request.source,
    encoding: decoded.encoding,
    rows: read.rows.length,
    valid: valid.length,
    problems,
    wouldCreate,
    wouldUpdate,
    alreadyImported,
    dryRun: request.dryRun ?? false,
  };
  return { report, checked };
}

/**
 * Checks the whole file, then (unless a dry run, and only if there is no problem at all) applies
 * it in batches, each one transaction together with the job's progress mark. The job is keyed by
 * the file's bytes: the same file again resumes after its last committed batch.
 */
export async function runImport(
  store: CloudStore,
  clock: Clock,
  request: ImportRequest,
): Promise<ImportReport> {
  const { report, checked } = await check(store, request);
  if (report.dryRun || report.problems.length > 0) return report;

  const sha256 = createHash('sha256').update(request.bytes).digest('hex');
  const timeZone = request.timeZone ?? 'UTC';
  const batchSize = Math.max(1, request.batchSize ?? DEFAULT_BATCH_SIZE);
  const now = () => new Date(clock.now()).toISOString();
  const previous = await findJob(store.database, request.kind, sha256, timeZone);
  const job =
    previous && !request.restart
      ? previous
      : await startJob(store.database, {
          kind: request.kind,
          sha256,
          timeZone,
          source: request.source,
          rows: checked.rows.length,
          batchSize,
          batches: Math.ceil(checked.rows.length / batchSize),
          actor: request.actor,
          now: now(),
        });
  // Batches are cut as the job first cut them, so a resumed run starts where the last one stopped.
  const batches: (typeof checked.rows)[] = [];
  for (let i = 0; i < checked.rows.length; i += job.batchSize)
    batches.push(checked.rows.slice(i, i + job.batchSize));
  const resumedFromBatch = job.finishedAt ? batches.length : job.batchesDone;
  let appliedRows = 0;
  let appliedBatches = 0;
  for (let b = resumedFromBatch; b < batches.length; b++) {
    const batch = batches[b] ?? [];
    const nowMs = clock.now();
    const stamp = new Date(nowMs).toISOString();
    await store.database.transaction(async (tx) => {
      if (checked.kind === 'assets') {
        await writeAssets(
          tx,
          (batch as { record: AssetRecord }[]).map((r) => r.record),
          stamp,
        );
      } else {
        const items = batch as { row: number; record: WorkOrderRecord }[];
        await writeTickets(tx, items, { source: request.source, actor: request.actor, nowMs });
      }
      await request.insideBatch?.(b + 1);
      await markBatch(tx, job.id, b + 1, b + 1 === batches.length, stamp);
    });
    if (checked.kind === 'tickets') store.changes.signal.notify();
    appliedRows += batch.length;
    appliedBatches++;
    await request.afterBatch?.(b + 1, batches.length);
  }
  if (batches.length === 0 && !job.finishedAt) {
    await store.database.transaction((tx) => markBatch(tx, job.id, 0, true, now()));
  }
  const applied = { batches: appliedBatches, rows: appliedRows };
  // Only a run that wrote something is an administrative change; a dry run or a refusal is not.
  if (appliedRows > 0) {
    await recordAdminChange(store.database, {
      actor: request.actor,
      action: `import.${request.kind}`,
      target: `import:${job.id}`,
      after: {
        source: request.source,
        rows: report.rows,
        created: report.wouldCreate,
        updated: report.wouldUpdate,
        applied,
        resumedFromBatch,
      },
    });
  }
  return {
    ...report,
    applied,
    job: { id: job.id, batches: batches.length, resumedFromBatch },
  };
}
