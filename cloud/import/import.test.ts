import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryAsset } from '../assets/asset-store.js';
import { importFile } from './import-command.js';
import { parseImportDate } from './dates.js';
import { decodeBytes } from './decode.js';
import { type ImportRequest, runImport } from './importer.js';
import type { ImportProblem, ImportReport } from './import-types.js';
import type { RunningCloud } from '../server.js';
import {
  type RuleTrackRecord,
  Ticket,
  type TicketDetail,
  type TicketView,
} from '../../shared/schema/index.js';
import { createAjv } from '../../shared/validation.js';
import { cloudFetch, cloudJson } from '../../test/helpers/cloud-client.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, startTestCloud, tempDir } from '../../test/helpers/stack.js';

const ASSET_HEADER = 'asset_id,Site,name,group,machine class,rpm,bearing,channels';

/** Every defect the issue names, one a row; line numbers are the CSV's (header = 1). */
const BROKEN_ASSETS = [
  `${ASSET_HEADER},chanel`,
  'P-1,site-a,Pump 1,pumps,group2-rigid,1480,skf-6205,de-accel;nde-accel,', // 2: only the unknown column
  'P-2,site-a,Pump 2,pumps,grup2-rigid,1480,skf-6205,,', // 3: machineClass typo
  'P-3,site-a,Pump 3,pumps,group2-rigid,1480,skf-6025,,', // 4: bearing typo
  'P-4,,Pump 4,pumps,group1-rigid,1480,,,', // 5: site missing
  'P-5,site-a,Pump 5,pumps,group1-rigid,abc,,,', // 6: rpm not a number
  'P-1,site-a,Pump 1 again,pumps,group2-rigid,1480,,,', // 7: duplicate of row 2
  'P-6,site-a,Fan 6,fans,group1-rigid,"1480,5",,,', // 8: decimal comma
  ',site-a,No id,fans,group1-rigid,900,,,', // 9: assetId missing
].join('\n');

const TICKET_HEADER =
  'work_order_id,asset_id,site,fault,severity,status,opened_at,closed_at,title,outcome,failure_mode,action_taken';

const BROKEN_TICKETS = [
  TICKET_HEADER,
  'WO-1,P-1,site-a,outer_race,high,closed,2024-03-05T14:00:00Z,2024-03-06,Bearing noise,confirmed,BRG,replaced bearing', // 2 ok
  'WO-2,P-1,site-a,outer_race,high,closed,03/04/2024,,Noise,,,', // 3: ambiguous date
  'WO-3,P-1,site-a,outer_race,high,closed,yesterday,,Noise,,,', // 4: not a date
  'WO-4,P-1,site-a,unbalanse,high,clsoed,2024-03-05,,Noise,,,', // 5: fault + status typos
  'WO-5,P-1,site-a,unbalance,high,closed,2024-03-05,2024-03-01,,,,', // 6: title missing, closed before opened
  'WO-1,P-1,site-a,unbalance,high,closed,2024-03-07,,Again,,,', // 7: duplicate WO-1
].join('\n');

/** Five clean work orders: opened in various formats, one still open, verdicts on some. */
const CLEAN_TICKETS = [
  TICKET_HEADER,
  'WO-101,P-1,site-a,outer_race,high,closed,2024-03-05T14:00:00Z,2024-03-08T10:00:00Z,BPFO at 4x,confirmed,BRG,replaced the DE bearing',
  'WO-102,P-1,site-a,unbalance,medium,closed,2024-04-01 08:30,2024-04-02 09:00,Unbalance on fan,false_positive,,nothing found on inspection',
  'WO-103,P-2,site-a,misalignment,low,Resolved,05.05.2024,2024/05/09,Coupling misaligned,inconclusive,,re-aligned coupling',
  'WO-104,P-2,site-a,looseness,critical,in progress,2024-06-01T06:00:00+02:00,,Base bolts loose,,,',
  'WO-105,P-3,site-b,overheating,high,,2024-07-01,2024-07-02,Motor hot,confirmed,OHE,cleaned the cooling fins',
].join('\n');

const at = (problems: ImportProblem[], row: number, field: string) =>
  problems.find((p) => p.row === row && p.field === field);

describe('import date formats', () => {
  it('reads ISO 8601, day-first and slashed dates, and applies the time zone to dates without one', () => {
    expect(parseImportDate('2024-03-05T14:00:00Z', 'UTC')).toEqual({ iso: '2024-03-05T14:00:00.000Z' });
    expect(parseImportDate('2024-03-05 14:00', 'Europe/Berlin')).toEqual({ iso: '2024-03-05T13:00:00.000Z' });
    // Summer time: Berlin is UTC+2.
    expect(parseImportDate('2024-07-05T14:00:00', 'Europe/Berlin')).toEqual({
      iso: '2024-07-05T12:00:00.000Z',
    });
    expect(parseImportDate('2024-03-05T14:00:00+05:30', 'Europe/Berlin')).toEqual({
      iso: '2024-03-05T08:30:00.000Z',
    });
    expect(parseImportDate('05.03.2024', 'UTC')).toEqual({ iso: '2024-03-05T00:00:00.000Z' });
    expect(parseImportDate('2024/03/05', 'UTC')).toEqual({ iso: '2024-03-05T00:00:00.000Z' });
    expect(parseImportDate('25/04/2024', 'UTC')).toEqual({ iso: '2024-04-25T00:00:00.000Z' });
    expect(parseImportDate('03/04/2024', 'UTC')).toEqual({
      problem: 'ambiguous date: write 2024-04-03 or 2024-03-04 (ISO 8601)',
    });
    expect(parseImportDate('2024-02-30', 'UTC')).toHaveProperty('problem');
    expect(parseImportDate('soon', 'UTC')).toEqual({
      problem: 'not a date: expected ISO 8601 like 2024-03-05T14:00:00Z',
    });
  });

  it('detects UTF-8 with and without BOM, else GBK; a forced encoding wins', () => {
    expect(decodeBytes(Buffer.from('name\n泵', 'utf8'), 'auto').encoding).toBe('utf-8');
    expect(decodeBytes(Buffer.from('\uFEFFname\n泵', 'utf8'), 'auto')).toEqual({
      text: 'name\n泵',
      encoding: 'utf-8-bom',
    });
    expect(decodeBytes(iconv.encode('name\n一号循环泵', 'gbk'), 'auto')).toEqual({
      text: 'name\n一号循环泵',
      encoding: 'gbk',
    });
    expect(decodeBytes(iconv.encode('泵', 'gbk'), 'utf-8').text).toContain('\uFFFD');
  });
});

describe.each(CLOUD_STORES)('bulk import on %s', (kind) => {
  let cloud: RunningCloud;
  let db: string;

  beforeAll(async () => {
    db = await newCloudDatabase(kind);
    cloud = await startTestCloud({ db });
  });
  afterAll(async () => {
    await cloud.stop();
    removeTempDirs();
  });

  const counts = async () => {
    const count = async (table: string) =>
      Number((await cloud.store.database.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n);
    return {
      assets: await count('assets'),
      tickets: await count('tickets'),
      jobs: await count('import_jobs'),
    };
  };

  const run = (
    importKind: ImportRequest['kind'],
    file: string | Uint8Array,
    options: Partial<ImportRequest> = {},
  ): Promise<ImportReport> =>
    runImport(cloud.store, cloud.services.clock, {
      kind: importKind,
      bytes: typeof file === 'string' ? Buffer.from(file) : file,
      source: `${importKind}.csv`,
      actor: 'test-admin',
      ...options,
    });

  const importedTickets = async (): Promise<TicketView[]> =>
    (await cloudJson<{ tickets: TicketView[] }>(cloud, '/api/v1/tickets?limit=500')).tickets.filter(
      (t) => t.gatewayId === 'import',
    );

  it('a dry run of a broken assets CSV lists each defect with row and field and writes nothing', async () => {
    const before = await counts();
    const report = await run('assets', BROKEN_ASSETS, { dryRun: true });
    const p = report.problems;
    expect(report.encoding).toBe('utf-8');
    expect(report.rows).toBe(8);
    expect(at(p, 1, 'chanel')).toMatchObject({
      message: expect.stringContaining('unknown column "chanel"'),
      suggestion: 'channels',
    });
    expect(at(p, 3, 'machineClass')).toMatchObject({
      message: 'unknown machineClass "grup2-rigid"; did you mean "group2-rigid"?',
      suggestion: 'group2-rigid',
      value: 'grup2-rigid',
    });
    expect(at(p, 4, 'bearing')).toMatchObject({
      suggestion: 'skf-6205',
      message: expect.stringContaining('did you mean "skf-6205"'),
    });
    expect(at(p, 5, 'site')?.message).toBe('site is required');
    expect(at(p, 6, 'rpm')?.message).toBe('rpm must be a number (got "abc")');
    expect(at(p, 7, 'assetId')?.message).toBe('duplicate assetId "P-1": also on row 2');
    expect(at(p, 8, 'rpm')).toMatchObject({
      suggestion: '1480.5',
      message: expect.stringContaining('write 1480.5'),
    });
    expect(at(p, 9, 'assetId')?.message).toBe('assetId is required');
    expect(p).toHaveLength(8);
    // Rows 2 (only the header's problem) and none else are valid.
    expect(report.valid).toBe(1);
    expect(await counts()).toEqual(before);

    // Without --dry-run it refuses just the same: a pre-check, then nothing.
    const real = await run('assets', BROKEN_ASSETS);
    expect(real.problems).toHaveLength(8);
    expect(real.applied).toBeUndefined();
    expect(await counts()).toEqual(before);
  });

  it('a dry run of a broken work-order CSV reports dates, enums, required fields and duplicates', async () => {
    const before = await counts();
    const report = await run('tickets', BROKEN_TICKETS, { dryRun: true });
    const p = report.problems;
    expect(at(p, 3, 'openedAt')?.message).toBe('ambiguous date: write 2024-04-03 or 2024-03-04 (ISO 8601)');
    expect(at(p, 4, 'openedAt')?.message).toBe('not a date: expected ISO 8601 like 2024-03-05T14:00:00Z');
    expect(at(p, 5, 'fault')?.suggestion).toBe('unbalance');
    expect(at(p, 5, 'status')).toMatchObject({ message: 'unknown status "clsoed"; did you mean "closed"?' });
    expect(at(p, 6, 'title')?.message).toBe('title is required');
    expect(at(p, 6, 'closedAt')?.message).toContain('before openedAt');
    expect(at(p, 7, 'workOrderId')?.message).toBe('duplicate workOrderId "WO-1": also on row 2');
    expect(report.valid).toBe(1);
    expect(await counts()).toEqual(before);
  });

  it('detects a GBK file, imports the Chinese names intact, and serves them on GET /api/v1/assets', async () => {
    const csv = [
      ASSET_HEADER,
      'CN-1,site-cn,一号循环泵,泵组,group2-rigid,1480,skf-6205,de-accel|nde-accel',
      'CN-2,site-cn,二号风机,风机,group1-flexible,990,,de-accel',
    ].join('\r\n');
    const report = await run('assets', iconv.encode(csv, 'gbk'));
    expect(report).toMatchObject({ encoding: 'gbk', problems: [], wouldCreate: 2, applied: { rows: 2 } });
    const { assets } = await cloudJson<{ assets: RegistryAsset[] }>(cloud, '/api/v1/assets?site=site-cn');
    expect(assets).toEqual([
      expect.objectContaining({
        assetId: 'CN-1',
        name: '一号循环泵',
        group: '泵组',
        machineClass: 'group2-rigid',
        rpm: 1480,
        bearing: 'skf-6205',
        channels: ['de-accel', 'nde-accel'],
      }),
      expect.objectContaining({ assetId: 'CN-2', name: '二号风机', channels: ['de-accel'] }),
    ]);
    const byGroup = await cloudJson<{ assets: RegistryAsset[] }>(
      cloud,
      '/api/v1/assets?group=%E9%A3%8E%E6%9C%BA',
    );
    expect(byGroup.assets.map((a) => a.assetId)).toEqual(['CN-2']);

    // Read as UTF-8 by force, the same bytes are a problem on the row and field that do not decode.
    const forced = await run('assets', iconv.encode(csv, 'gbk'), { dryRun: true, encoding: 'utf-8' });
    expect(forced.encoding).toBe('utf-8');
    expect(at(forced.problems, 2, 'name')?.message).toContain('not valid in utf-8');

    // A second file updates, and a field it leaves empty keeps what the registry had.
    const update = await run('assets', 'assetId,site,rpm\nCN-1,site-cn,1500\n');
    expect(update).toMatchObject({ wouldUpdate: 1, wouldCreate: 0 });
    const after = await cloudJson<{ assets: RegistryAsset[] }>(cloud, '/api/v1/assets?site=site-cn');
    expect(after.assets[0]).toMatchObject({ rpm: 1500, name: '一号循环泵', bearing: 'skf-6205' });
  });

  it('imports clean work orders as tickets with status, close-out and work order, once', async () => {
    const changesBefore = await cloud.store.changes.latestCursor();
    const report = await run('tickets', CLEAN_TICKETS, { source: 'history.csv' });
    expect(report).toMatchObject({
      problems: [],
      valid: 5,
      wouldCreate: 5,
      alreadyImported: 0,
      applied: { rows: 5 },
    });
    const tickets = await importedTickets();
    expect(tickets).toHaveLength(5);
    const wo = (id: string) => tickets.find((t) => t.workOrder?.externalId === id) as TicketView;
    expect(wo('WO-101')).toMatchObject({
      status: 'closed',
      condition: 'cleared',
      fault: 'outer_race',
      firstSeen: '2024-03-05T14:00:00.000Z',
      closeOut: { outcome: 'confirmed', failureMode: 'BRG', actionTaken: 'replaced the DE bearing' },
      workOrder: { system: 'import', externalId: 'WO-101' },
      historical: true,
    });
    // The stored body is a valid edge Ticket (the review fields come from their own columns).
    const validTicket = createAjv().compile(Ticket);
    const bodies = await cloud.store.database.all<{ body: string }>(
      "SELECT body FROM tickets WHERE gateway_id = 'import'",
    );
    for (const { body } of bodies)
      expect(validTicket(JSON.parse(body)), JSON.stringify(validTicket.errors)).toBe(true);
    expect(wo('WO-101').evidence.reasoning).toEqual(['imported from history.csv row 2 (work order WO-101)']);
    expect(wo('WO-103')).toMatchObject({ status: 'resolved', firstSeen: '2024-05-05T00:00:00.000Z' });
    expect(wo('WO-104')).toMatchObject({ status: 'in_progress', firstSeen: '2024-06-01T04:00:00.000Z' });
    expect(wo('WO-105')).toMatchObject({ status: 'closed', site: 'site-b' });

    const detail = await cloudJson<TicketDetail>(cloud, `/api/v1/tickets/${wo('WO-102').id}`);
    expect(detail.audit.map((a) => a.action)).toEqual(['imported']);

    const { rules } = await cloudJson<{ rules: RuleTrackRecord[] }>(cloud, '/api/v1/rules/track-record');
    expect(rules.find((r) => r.ruleId === 'import')).toMatchObject({
      fired: 5,
      confirmed: 2,
      falsePositives: 1,
      inconclusive: 1,
      open: 1,
    });
    const { changes } = await cloud.store.changes.read({ after: changesBefore, limit: 100 });
    expect(changes.map((c) => c.type)).toEqual(Array(5).fill('ticket.imported'));
    expect(changes[0]?.ticket.workOrderId).toBe('WO-101');

    // The same file again, and the same rows in another file: nothing new.
    const again = await run('tickets', CLEAN_TICKETS, { source: 'history.csv' });
    expect(again).toMatchObject({ alreadyImported: 5, wouldCreate: 0, applied: { batches: 0, rows: 0 } });
    const otherFile = await run('tickets', `${CLEAN_TICKETS}\n`, { source: 'history-copy.csv' });
    expect(otherFile).toMatchObject({ alreadyImported: 5, applied: { rows: 5 } });
    expect(await importedTickets()).toHaveLength(5);
  });

  it('applies each batch atomically and resumes after the last committed batch', async () => {
    const rows = Array.from(
      { length: 5 },
      (_, i) => `BATCH-${i + 1},P-9,site-c,threshold,low,closed,2024-08-0${i + 1},,Batch row ${i + 1},,,`,
    );
    const file = [TICKET_HEADER, ...rows].join('\n');
    const inSiteC = async () =>
      (await importedTickets())
        .filter((t) => t.site === 'site-c')
        .map((t) => t.workOrder?.externalId)
        .sort();

    // A database failure in batch 2, after its first row was written: the whole batch rolls back.
    await expect(
      run('tickets', file, {
        batchSize: 2,
        insideBatch: (batch) => {
          if (batch === 2) throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(await inSiteC()).toEqual(['BATCH-1', 'BATCH-2']);

    // The process dies after batch 2 committed (the hook throws between batches).
    await expect(
      run('tickets', file, {
        batchSize: 2,
        afterBatch: (batch) => {
          if (batch === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await inSiteC()).toEqual(['BATCH-1', 'BATCH-2', 'BATCH-3', 'BATCH-4']);

    const resumed = await run('tickets', file, { batchSize: 2 });
    expect(resumed).toMatchObject({
      job: { resumedFromBatch: 2, batches: 3 },
      applied: { batches: 1, rows: 1 },
      alreadyImported: 4,
    });
    expect(await inSiteC()).toEqual(['BATCH-1', 'BATCH-2', 'BATCH-3', 'BATCH-4', 'BATCH-5']);

    const done = await run('tickets', file, { batchSize: 2 });
    expect(done).toMatchObject({ job: { resumedFromBatch: 3 }, applied: { batches: 0 }, alreadyImported: 5 });
    // --restart goes through every batch again; the tickets are still there once.
    const restarted = await run('tickets', file, { batchSize: 2, restart: true });
    expect(restarted).toMatchObject({ job: { resumedFromBatch: 0 }, applied: { batches: 3, rows: 5 } });
    expect(await inSiteC()).toHaveLength(5);
    const jobs = await cloud.store.database.all<{ batches_done: number }>(
      "SELECT batches_done FROM import_jobs WHERE kind = 'tickets' AND source = 'tickets.csv'",
    );
    expect(jobs.map((j) => Number(j.batches_done))).toEqual([3]);
  });

  it('takes files on POST /api/v1/imports/:kind: 200 for a dry run, 422 with problems, admin only', async () => {
    const before = await counts();
    const post = (path: string, body: Uint8Array | string, type: string) =>
      cloudFetch(cloud, path, { method: 'POST', body, headers: { 'content-type': type } });

    const broken = await post('/api/v1/imports/assets?dryRun=true', BROKEN_ASSETS, 'text/csv; charset=utf-8');
    expect(broken.status).toBe(422);
    const brokenReport = (await broken.json()) as ImportReport;
    expect(at(brokenReport.problems, 3, 'machineClass')?.suggestion).toBe('group2-rigid');

    const json = JSON.stringify([
      {
        assetId: 'J-1',
        site: 'site-j',
        name: '三号泵',
        machineClass: 'group1-rigid',
        channels: ['de-accel'],
      },
    ]);
    const dry = await post(
      '/api/v1/imports/assets?dryRun=true',
      iconv.encode(json, 'gbk'),
      'application/json',
    );
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ encoding: 'gbk', dryRun: true, wouldCreate: 1, problems: [] });
    expect(await counts()).toEqual(before);

    const real = await post('/api/v1/imports/assets', iconv.encode(json, 'gbk'), 'application/json');
    expect(real.status).toBe(200);
    expect(await real.json()).toMatchObject({ applied: { rows: 1 }, job: { resumedFromBatch: 0 } });
    const { assets } = await cloudJson<{ assets: RegistryAsset[] }>(cloud, '/api/v1/assets?site=site-j');
    expect(assets).toEqual([expect.objectContaining({ name: '三号泵', channels: ['de-accel'] })]);

    await cloud.store.access.createUser({ username: 'viewer-j', role: 'viewer', sites: ['site-cn'] });
    const viewer = await cloud.store.access.createApiToken('viewer-j', 'test');
    const forbidden = await fetch(`${cloud.url}/api/v1/imports/assets?dryRun=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}`, 'content-type': 'text/csv' },
      body: 'assetId,site\nX-1,site-a\n',
    });
    expect(forbidden.status).toBe(403);
    // A viewer sees the registry of their own sites only.
    const spec = (await (await fetch(`${cloud.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/imports/{kind}', '/api/v1/assets']),
    );
    const seen = (await (
      await fetch(`${cloud.url}/api/v1/assets`, { headers: { authorization: `Bearer ${viewer}` } })
    ).json()) as { assets: RegistryAsset[] };
    expect(new Set(seen.assets.map((a) => a.site))).toEqual(new Set(['site-cn']));
  });

  it('the CLI prints file:row: field: message and exits 1 on problems, 0 when applied', async () => {
    const dir = tempDir();
    const broken = join(dir, 'broken.csv');
    writeFileSync(broken, BROKEN_ASSETS);
    const out: string[] = [];
    const err: string[] = [];
    const output = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const flags = { encoding: 'auto' as const, timezone: 'UTC', batchSize: 500, db };
    expect(await importFile('assets', broken, { ...flags, dryRun: true }, output)).toBe(1);
    expect(out).toContain(
      `${broken}:3: machineClass: unknown machineClass "grup2-rigid"; did you mean "group2-rigid"?`,
    );
    expect(out).toContain(`${broken}:5: site: site is required`);
    expect(out).toHaveLength(8);
    expect(err.at(-1)).toContain('nothing written');

    const clean = join(dir, 'clean.csv');
    writeFileSync(
      clean,
      [ASSET_HEADER, 'CLI-1,site-d,Pump,pumps,group1-rigid,1480,,', 'CLI-2,site-d,Fan,fans,,,,'].join('\n'),
    );
    out.length = 0;
    expect(await importFile('assets', clean, { ...flags, batchSize: 1 }, output)).toBe(0);
    expect(out).toEqual([]);
    expect(err).toContain('batch 2/2 committed');
    const { assets } = await cloudJson<{ assets: RegistryAsset[] }>(cloud, '/api/v1/assets?site=site-d');
    expect(assets.map((a) => a.assetId)).toEqual(['CLI-1', 'CLI-2']);
  });
});
