import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command } from 'commander';
import { integerIn, oneOf } from '../../shared/cli-options.js';
import { systemClock } from '../clock.js';
import { openCloudStore } from '../open-cloud-store.js';
import { ENCODINGS, type EncodingChoice } from './decode.js';
import { cliActor } from '../audit/admin-audit.js';
import { DEFAULT_BATCH_SIZE, type ImportRequest, runImport } from './importer.js';
import { IMPORT_KINDS, type ImportKind, type ImportProblem, type ImportReport } from './import-types.js';

export interface ImportFlags {
  dryRun?: boolean;
  encoding: EncodingChoice;
  timezone: string;
  batchSize: number;
  restart?: boolean;
  json?: boolean;
  db: string;
}

export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `file:row: field: message (did you mean …?)`: what editors and CI logs link to a line. */
export const problemLine = (file: string, p: ImportProblem): string =>
  `${file}:${p.row}: ${p.field}: ${p.message}`;

export function summaryLine(report: ImportReport): string {
  const what = report.kind === 'assets' ? 'assets' : 'tickets';
  const counts =
    `${report.rows} rows, ${report.valid} valid, ${report.problems.length} problems (read as ${report.encoding}); ` +
    `${report.wouldCreate} ${what} to create, ${report.wouldUpdate} to update, ${report.alreadyImported} already imported`;
  if (report.problems.length > 0) return `${counts}: nothing written, fix the rows above and run again`;
  if (report.dryRun) return `${counts}: dry run, nothing written`;
  const job = report.job;
  if (job && job.batches > 0 && job.resumedFromBatch === job.batches) {
    return `${counts}: this file was imported before, nothing to do (--restart applies it again)`;
  }
  const resumed = job && job.resumedFromBatch > 0 ? `, resumed after batch ${job.resumedFromBatch}` : '';
  return `${counts}: applied ${report.applied?.batches ?? 0} of ${job?.batches ?? 0} batches (${report.applied?.rows ?? 0} rows)${resumed}`;
}

/** The command's work, without commander or process.exit: returns the exit code. */
export async function importFile(
  kind: ImportKind,
  file: string,
  flags: ImportFlags,
  output: CommandOutput,
  hooks: Pick<ImportRequest, 'afterBatch'> = {},
): Promise<number> {
  const bytes = await readFile(file);
  const store = await openCloudStore(flags.db);
  try {
    const report = await runImport(store, systemClock, {
      kind,
      bytes,
      source: basename(file),
      dryRun: flags.dryRun ?? false,
      encoding: flags.encoding,
      timeZone: flags.timezone,
      batchSize: flags.batchSize,
      restart: flags.restart ?? false,
      actor: cliActor(),
      afterBatch: async (batch, batches) => {
        if (batches > 1) output.err(`batch ${batch}/${batches} committed`);
        await hooks.afterBatch?.(batch, batches);
      },
    });
    if (flags.json) output.out(JSON.stringify(report, null, 2));
    else for (const p of report.problems) output.out(problemLine(file, p));
    output.err(summaryLine(report));
    return report.problems.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** `plantwatch cloud import <assets|tickets> <file>`. */
export function importCommand(defaultDb: string): Command {
  return new Command('import')
    .description('import assets or historical work orders (CSV or JSON); checks every row before writing')
    .argument('<kind>', IMPORT_KINDS.join(' or '), oneOf(IMPORT_KINDS))
    .argument('<file>', 'CSV with a header line, or a JSON array of objects')
    .option('--dry-run', 'check only: list every problem by row and field, write nothing')
    .option(
      '--encoding <name>',
      `${ENCODINGS.join(', ')} (auto: UTF-8 if valid, else GBK)`,
      oneOf(ENCODINGS),
      'auto',
    )
    .option('--timezone <zone>', 'IANA time zone of dates written without one', 'UTC')
    .option('--batch-size <n>', 'rows per transaction', integerIn(1, 100_000), DEFAULT_BATCH_SIZE)
    .option('--restart', "start over instead of resuming this file's unfinished import")
    .option('--json', 'print the report as JSON')
    .option('--db <path|url>', 'cloud database: SQLite file or postgres://user:pass@host/db', defaultDb)
    .action(async (kind: ImportKind, file: string, flags: ImportFlags) => {
      process.exitCode = await importFile(kind, file, flags, {
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      });
    });
}
