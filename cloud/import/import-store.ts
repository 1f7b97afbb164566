import { ulid } from 'ulidx';
import { dueAt, SEVERITY_RANK } from '../tickets/ticket-lifecycle.js';
import { audit } from '../tickets/ticket-audit.js';
import { recordTicketChange } from '../tickets/review-store.js';
import { placeholders, type SqlExecutor, type SqlValue } from '../store/sql-database.js';
import type { AssetRecord } from './asset-rows.js';
import { importedCloseOut, importedTicket, importedWorkOrder } from './imported-ticket.js';
import type { ImportKind } from './import-types.js';
import type { WorkOrderRecord } from './ticket-rows.js';

export interface ImportJob {
  id: string;
  kind: ImportKind;
  sha256: string;
  batchSize: number;
  batches: number;
  batchesDone: number;
  finishedAt?: string;
}

interface JobRow {
  id: string;
  kind: ImportKind;
  sha256: string;
  batch_size: number;
  batches: number;
  batches_done: number;
  finished_at: string | null;
}

const job = (r: JobRow): ImportJob => ({
  id: r.id,
  kind: r.kind,
  sha256: r.sha256,
  batchSize: Number(r.batch_size),
  batches: Number(r.batches),
  batchesDone: Number(r.batches_done),
  ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
});

const JOB_COLUMNS = 'id, kind, sha256, batch_size, batches, batches_done, finished_at';

export async function findJob(
  db: SqlExecutor,
  kind: ImportKind,
  sha256: string,
  timeZone: string,
): Promise<ImportJob | undefined> {
  const row = await db.get<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM import_jobs WHERE kind = ? AND sha256 = ? AND time_zone = ?`,
    [kind, sha256, timeZone],
  );
  return row ? job(row) : undefined;
}

/** A new job for the file, or the file's job started over (`--restart`). */
export async function startJob(
  db: SqlExecutor,
  start: {
    kind: ImportKind;
    sha256: string;
    timeZone: string;
    source: string;
    rows: number;
    batchSize: number;
    batches: number;
    actor: string;
    now: string;
  },
): Promise<ImportJob> {
  const row = await db.get<JobRow>(
    `INSERT INTO import_jobs (id, kind, sha256, time_zone, source, rows, batch_size, batches, batches_done, actor, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
       ON CONFLICT (kind, sha256, time_zone) DO UPDATE SET source = excluded.source, rows = excluded.rows,
         batch_size = excluded.batch_size, batches = excluded.batches, batches_done = 0, actor = excluded.actor,
         started_at = excluded.started_at, updated_at = excluded.updated_at, finished_at = NULL
       RETURNING ${JOB_COLUMNS}`,
    [
      ulid(),
      start.kind,
      start.sha256,
      start.timeZone,
      start.source,
      start.rows,
      start.batchSize,
      start.batches,
      start.actor,
      start.now,
      start.now,
    ],
  );
  if (!row) throw new Error('import_jobs insert returned no row');
  return job(row);
}

/** Records a committed batch, inside that batch's transaction: the rows and the mark commit together. */
export async function markBatch(
  tx: SqlExecutor,
  id: string,
  batchesDone: number,
  finished: boolean,
  now: string,
) {
  await tx.run(
    `UPDATE import_jobs SET batches_done = ?, updated_at = ?, finished_at = ${finished ? '?' : 'NULL'} WHERE id = ?`,
    finished ? [batchesDone, now, now, id] : [batchesDone, now, id],
  );
}

const LOOKUP_CHUNK = 500;

/** Which of these keys are rows of the table already. */
async function existing(
  db: SqlExecutor,
  table: 'assets' | 'tickets',
  column: string,
  keys: readonly string[],
) {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    const rows = await db.all<{ k: string }>(
      `SELECT ${column} AS k FROM ${table} WHERE ${column} IN (${placeholders(chunk.length)})`,
      chunk,
    );
    for (const r of rows) found.add(r.k);
  }
  return found;
}

export const existingAssetIds = (db: SqlExecutor, ids: readonly string[]) =>
  existing(db, 'assets', 'asset_id', ids);
export const existingTicketIds = (db: SqlExecutor, ids: readonly string[]) =>
  existing(db, 'tickets', 'id', ids);

/**
 * Upserts assets. A field the file leaves empty keeps what the registry has: a file of bearings
 * alone must not erase every name.
 */
export async function writeAssets(
  tx: SqlExecutor,
  records: readonly AssetRecord[],
  now: string,
): Promise<void> {
  for (const a of records) {
    const optional: [string, SqlValue | undefined][] = [
      ['name', a.name],
      ['asset_group', a.group],
      ['machine_class', a.machineClass],
      ['rpm', a.rpm],
      ['bearing', a.bearing],
      ['channels', a.channels ? JSON.stringify(a.channels) : undefined],
    ];
    const given = optional.filter(([, v]) => v !== undefined) as [string, SqlValue][];
    const columns = ['asset_id', 'site', 'updated_at', ...given.map(([c]) => c)];
    const updates = ['site', 'updated_at', ...given.map(([c]) => c)].map((c) => `${c} = excluded.${c}`);
    await tx.run(
      `INSERT INTO assets (${columns.join(', ')}) VALUES (${placeholders(columns.length)})
         ON CONFLICT (asset_id) DO UPDATE SET ${updates.join(', ')}`,
      [a.assetId, a.site, now, ...given.map(([, v]) => v)],
    );
  }
}

export interface TicketToWrite {
  record: WorkOrderRecord;
  row: number;
}

/**
 * Inserts imported tickets; one already there (same work order, same id) is left as it is. Each
 * new one is audited `imported` and logged as `ticket.imported`, a change routing and
 * notifications do not act on: history is not an alarm.
 */
export async function writeTickets(
  tx: SqlExecutor,
  items: readonly TicketToWrite[],
  context: { source: string; actor: string; nowMs: number },
): Promise<number> {
  const now = new Date(context.nowMs).toISOString();
  let inserted = 0;
  for (const { record, row } of items) {
    const ticket = importedTicket(record, context.source, row);
    const closeOut = importedCloseOut(record);
    const leadTimeMs = closeOut?.failureAt
      ? Date.parse(closeOut.failureAt) - Date.parse(record.openedAt)
      : null;
    const created = await tx.get<{ id: string }>(
      `INSERT INTO tickets (id, gateway_id, site, asset_id, fault, severity, severity_rank, status, updated_at,
           body, due_at, opened_at, rule_id, rule_version, predicted, first_received_at, close_out, outcome,
           lead_time_ms, review_updated_at, work_order)
         VALUES (${placeholders(21)}) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        ticket.id,
        ticket.gatewayId,
        ticket.site,
        ticket.assetId,
        ticket.fault,
        ticket.severity,
        SEVERITY_RANK[ticket.severity],
        record.status,
        now,
        JSON.stringify(ticket),
        dueAt(ticket.severity, ticket.firstSeen, undefined),
        ticket.firstSeen,
        ticket.rule.id,
        ticket.rule.version,
        0,
        now,
        closeOut ? JSON.stringify(closeOut) : null,
        closeOut?.outcome ?? null,
        leadTimeMs,
        record.closedAt ?? null,
        JSON.stringify(importedWorkOrder(record, now)),
      ],
    );
    if (!created) continue;
    inserted++;
    const detail = { source: context.source, row, workOrderId: record.workOrderId };
    await audit(tx, ticket.id, now, context.actor, 'imported', detail);
    await recordTicketChange(
      tx,
      ticket.id,
      { type: 'ticket.imported', at: now, actor: context.actor, detail },
      context.nowMs,
    );
  }
  return inserted;
}
