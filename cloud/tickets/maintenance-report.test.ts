import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaintenanceReport, Ticket, TransitionRequest } from '../../shared/schema/index.js';
import { ManualClock } from '../clock.js';
import type { RunningCloud } from '../server.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, silentLogger, startTestCloud } from '../../test/helpers/stack.js';
import { openTicket } from '../../test/helpers/tickets.js';
import { maintenanceReport, type ReportMove, type ReportTicket } from './maintenance-report.js';
import { maintenanceReportCsv } from './maintenance-report-csv.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const ODD_SITE = 'site-b';

/**
 * A known history over three ISO weeks of January 2026 (Mon 5th – Mon 26th), the cloud's clock on
 * 1 February: every figure below is worked out by hand from it.
 */
describe.each(CLOUD_STORES)('maintenance report on %s', (kind) => {
  let cloud: RunningCloud;
  const tokens: Record<'boss' | 'siteA', string> = { boss: '', siteA: '' };
  const RANGE = 'from=2026-01-05&to=2026-01-25&bucket=week';

  const get = (path: string, who: keyof typeof tokens = 'boss') =>
    fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
  const report = async (query: string, who: keyof typeof tokens = 'boss') => {
    const response = await get(`/api/v1/reports/maintenance?${query}`, who);
    expect(response.status).toBe(200);
    return (await response.json()) as MaintenanceReport;
  };

  beforeAll(async () => {
    cloud = await startTestCloud({
      db: await newCloudDatabase(kind),
      logger: silentLogger(),
      clock: new ManualClock(at('2026-02-01T00:00:00Z')),
    });
    const { access, review } = cloud.store;
    await access.createGatewayToken('gw-1', { sites: ['site-a'] });
    await access.createGatewayToken('gw-2', { sites: [ODD_SITE] });
    await access.createUser({ username: 'boss', role: 'admin', sites: 'all' });
    await access.createUser({ username: 'ana', role: 'viewer', sites: ['site-a'] });
    tokens.boss = await access.createApiToken('boss', 'tests');
    tokens.siteA = await access.createApiToken('ana', 'tests');

    const open = (overrides: Partial<Ticket>) => {
      const firstSeen = overrides.firstSeen ?? '';
      return openTicket(cloud.store, { lastSeen: firstSeen, ...overrides });
    };
    const move = async (ticket: Ticket, iso: string, request: TransitionRequest) => {
      const outcome = await review.transition(ticket.id, 'boss', request, at(iso));
      expect(outcome).toHaveProperty('ok');
    };
    const resolve = (
      ticket: Ticket,
      iso: string,
      outcome: 'confirmed' | 'inconclusive',
      failureAt?: string,
    ) =>
      move(ticket, iso, {
        to: 'resolved',
        confirmActive: true,
        feedback: {
          outcome,
          ...(outcome === 'confirmed' ? { failureMode: 'unbalance' } : {}),
          actionTaken: 'balanced the impeller',
          ...(failureAt ? { failureAt } : {}),
        },
      });

    // Opened before the range, open through its first week, resolved in the second.
    const t0 = await open({ assetId: 'pump-1', severity: 'high', firstSeen: '2025-12-20T00:00:00Z' });
    await move(t0, '2025-12-21T00:00:00Z', { to: 'acknowledged' });
    await resolve(t0, '2026-01-15T00:00:00Z', 'inconclusive');
    // Week 1: acknowledged after 1 h, repaired after 24 h, a confirmed failure 22 h after opening.
    const t1 = await open({ assetId: 'pump-1', severity: 'high', firstSeen: '2026-01-05T10:00:00Z' });
    await move(t1, '2026-01-05T11:00:00Z', { to: 'acknowledged' });
    await move(t1, '2026-01-05T12:00:00Z', { to: 'in_progress' });
    await resolve(t1, '2026-01-06T10:00:00Z', 'confirmed', '2026-01-06T08:00:00Z');
    // Week 1: acknowledged after 3 h, then a false positive.
    const t2 = await open({ assetId: 'pump-1', severity: 'medium', firstSeen: '2026-01-06T00:00:00Z' });
    await move(t2, '2026-01-06T03:00:00Z', { to: 'acknowledged' });
    await move(t2, '2026-01-06T05:00:00Z', { to: 'false_positive' });
    // Week 1, the other site: never touched; medium is due in 14 days, so overdue by the 25th.
    await open({
      gatewayId: 'gw-2',
      site: ODD_SITE,
      assetId: 'pump-9',
      severity: 'medium',
      firstSeen: '2026-01-07T00:00:00Z',
    });
    // Week 2: a critical ticket acknowledged after 2 h and left open: 8 h SLA, overdue.
    const t3 = await open({ assetId: 'pump-2', severity: 'critical', firstSeen: '2026-01-13T00:00:00Z' });
    await move(t3, '2026-01-13T02:00:00Z', { to: 'acknowledged' });
    // Week 2: never touched, due in 30 days.
    await open({ assetId: 'pump-1', severity: 'low', firstSeen: '2026-01-14T00:00:00Z' });
    // Week 3: taken up after 5 h, repaired after 48 h, confirmed without a failure time.
    const t5 = await open({ assetId: 'pump-3', severity: 'high', firstSeen: '2026-01-19T00:00:00Z' });
    await move(t5, '2026-01-19T05:00:00Z', { to: 'in_progress' });
    await resolve(t5, '2026-01-21T00:00:00Z', 'confirmed');
    // After the range: counts nowhere in it.
    await open({ assetId: 'pump-1', severity: 'critical', firstSeen: '2026-01-28T00:00:00Z' });
  }, 60_000);
  afterAll(async () => {
    await cloud.stop();
    removeTempDirs();
  });

  it('counts open and overdue tickets at the end of the range, by severity and site', async () => {
    const r = await report(RANGE);
    expect(r).toMatchObject({
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-26T00:00:00.000Z',
      asOf: '2026-01-26T00:00:00.000Z',
      bucket: 'week',
      open: 3,
      overdue: 2,
      openBySeverity: { critical: 1, high: 0, medium: 1, low: 1 },
    });
    expect(r.openBySite).toEqual([
      { site: 'site-a', total: 2, critical: 1, high: 0, medium: 0, low: 1 },
      { site: ODD_SITE, total: 1, critical: 0, high: 0, medium: 1, low: 0 },
    ]);
  });

  it('measures time to acknowledge and to repair from the lifecycle, exactly', async () => {
    const r = await report(RANGE);
    // Acknowledged after 1, 3, 2 and 5 hours; two tickets never were.
    expect(r.acknowledge).toEqual({ count: 4, meanMs: 2.75 * H, medianMs: 2.5 * H });
    // Repaired after 24 and 48 hours; t0 opened before the range and does not count.
    expect(r.repair).toEqual({ count: 2, meanMs: 36 * H, medianMs: 36 * H });
    expect(r.judgement).toEqual({
      confirmed: 2,
      falsePositives: 1,
      precision: 2 / 3,
      medianLeadTimeMs: 22 * H,
      leadTimeSamples: 1,
    });
  });

  it('gives each week its openings, backlog at its end, precision and lead time', async () => {
    const r = await report(RANGE);
    expect(r.buckets).toEqual([
      {
        start: '2026-01-05T00:00:00.000Z',
        end: '2026-01-12T00:00:00.000Z',
        opened: 3,
        // t0 (resolved on the 15th) and the other site's ticket.
        backlog: 2,
        confirmed: 1,
        falsePositives: 1,
        precision: 0.5,
        medianLeadTimeMs: 22 * H,
        leadTimeSamples: 1,
      },
      {
        start: '2026-01-12T00:00:00.000Z',
        end: '2026-01-19T00:00:00.000Z',
        opened: 2,
        backlog: 3,
        confirmed: 0,
        falsePositives: 0,
        leadTimeSamples: 0,
      },
      {
        start: '2026-01-19T00:00:00.000Z',
        end: '2026-01-26T00:00:00.000Z',
        opened: 1,
        backlog: 3,
        confirmed: 1,
        falsePositives: 0,
        precision: 1,
        leadTimeSamples: 0,
      },
    ]);
    expect(r.topAssets).toEqual([
      { assetId: 'pump-1', site: 'site-a', tickets: 3, open: 1 },
      { assetId: 'pump-2', site: 'site-a', tickets: 1, open: 1 },
      { assetId: 'pump-9', site: ODD_SITE, tickets: 1, open: 1 },
      { assetId: 'pump-3', site: 'site-a', tickets: 1, open: 0 },
    ]);
  });

  it('clips buckets to the range: days, and months', async () => {
    const days = await report('from=2026-01-12T12:00:00Z&to=2026-01-14T06:00:00Z&bucket=day');
    expect(days.buckets.map((b) => [b.start, b.end, b.opened])).toEqual([
      ['2026-01-12T12:00:00.000Z', '2026-01-13T00:00:00.000Z', 0],
      ['2026-01-13T00:00:00.000Z', '2026-01-14T00:00:00.000Z', 1],
      ['2026-01-14T00:00:00.000Z', '2026-01-14T06:00:00.000Z', 1],
    ]);
    const months = await report('from=2025-12-15&to=2026-01-31&bucket=month');
    expect(months.buckets.map((b) => [b.start, b.opened, b.backlog])).toEqual([
      ['2025-12-15T00:00:00.000Z', 1, 1],
      // By 1 February: open are t3, the low ticket, the other site's ticket and the one of the 28th.
      ['2026-01-01T00:00:00.000Z', 7, 4],
    ]);
  });

  it('shows a user only the sites they may see', async () => {
    const r = await report(RANGE, 'siteA');
    expect(r).toMatchObject({ open: 2, overdue: 1 });
    expect(r.openBySite.map((s) => s.site)).toEqual(['site-a']);
    expect(r.topAssets.map((a) => a.assetId)).not.toContain('pump-9');
    // Asking for another site gives nothing rather than its figures.
    const other = await report(`${RANGE}&site=${encodeURIComponent(ODD_SITE)}`, 'siteA');
    expect(other).toMatchObject({ open: 0, overdue: 0, topAssets: [], openBySite: [] });
    expect((await report(`${RANGE}&site=${encodeURIComponent(ODD_SITE)}`)).open).toBe(1);
  });

  it('defaults to the last 90 days by week, up to now', async () => {
    const r = await report('');
    expect(r).toMatchObject({
      to: '2026-02-01T00:00:00.000Z',
      from: '2025-11-03T00:00:00.000Z',
      asOf: '2026-02-01T00:00:00.000Z',
      bucket: 'week',
      open: 4,
    });
    expect(r.buckets[0]?.start).toBe('2025-11-03T00:00:00.000Z');
  });

  it('answers bad from, to and bucket with a 400 naming the field', async () => {
    const cases: [string, string, RegExp][] = [
      ['from=2026-02-31', 'PW_BAD_DATE', /^querystring\/from: '2026-02-31' is not a date/],
      ['from=yesterday', 'PW_BAD_DATE', /^querystring\/from: /],
      ['to=2026-01-05T25:00:00Z', 'PW_BAD_DATE', /^querystring\/to: /],
      [
        'from=2026-01-10&to=2026-01-05',
        'PW_BAD_RANGE',
        /^querystring\/to: the range must end after it starts/,
      ],
      [
        'from=2020-01-01&to=2026-01-01&bucket=day',
        'PW_BAD_RANGE',
        /^querystring\/bucket: .*more than 400 days/,
      ],
      ['bucket=year', 'FST_ERR_VALIDATION', /querystring\/bucket/],
    ];
    for (const [query, code, message] of cases) {
      const response = await get(`/api/v1/reports/maintenance?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { code: string; message: string };
      expect(body.code, query).toBe(code);
      expect(body.message, query).toMatch(message);
    }
    const csv = await get('/api/v1/reports/maintenance.csv?table=everything');
    expect(csv.status).toBe(400);
    expect(((await csv.json()) as { message: string }).message).toMatch(/querystring\/table/);
    expect((await fetch(`${cloud.url}/api/v1/reports/maintenance`)).status).toBe(401);
  });

  it('exports each table as RFC 4180 CSV: a header, one row each, quoted where needed, numbers bare', async () => {
    const response = await get(`/api/v1/reports/maintenance.csv?${RANGE}&table=buckets`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="plantwatch-maintenance-buckets-2026-01-05-2026-01-26.csv"',
    );
    const text = await response.text();
    expect(text.split('\r\n')[0]).toBe(
      'start,end,opened,backlog,confirmed,false_positives,precision,median_lead_time_ms,lead_time_samples',
    );
    const buckets = parse(text, { columns: true }) as Record<string, string>[];
    expect(buckets).toHaveLength(3);
    expect(buckets[0]).toMatchObject({
      start: '2026-01-05T00:00:00.000Z',
      opened: '3',
      backlog: '2',
      precision: '0.5',
      median_lead_time_ms: String(22 * H),
    });
    expect(buckets[1]).toMatchObject({ precision: '', median_lead_time_ms: '' });

    const open = await (await get(`/api/v1/reports/maintenance.csv?${RANGE}&table=open`)).text();
    expect(parse(open, { columns: true })).toEqual([
      { site: 'site-a', critical: '1', high: '0', medium: '0', low: '1', total: '2' },
      { site: ODD_SITE, critical: '0', high: '0', medium: '1', low: '0', total: '1' },
    ]);
    const summary = parse(await (await get(`/api/v1/reports/maintenance.csv?${RANGE}`)).text(), {
      columns: true,
    }) as { metric: string; value: string }[];
    const value = (metric: string) => summary.find((row) => row.metric === metric)?.value;
    expect(value('acknowledge_mean_ms')).toBe(String(2.75 * H));
    expect(value('repair_median_ms')).toBe(String(36 * H));
    expect(Number(value('precision'))).toBeCloseTo(2 / 3, 12);
    const assets = parse(await (await get(`/api/v1/reports/maintenance.csv?${RANGE}&table=assets`)).text(), {
      columns: true,
    }) as Record<string, string>[];
    expect(assets[0]).toEqual({ asset_id: 'pump-1', site: 'site-a', tickets: '3', open: '1' });
  });
});

describe('maintenance report CSV', () => {
  it('quotes a field with a comma, quote or line break and doubles its quotes (RFC 4180)', () => {
    // Site ids cannot hold these today; the export must not depend on that staying so.
    const site = 'north, "B"\nhall';
    const csv = maintenanceReportCsv(
      {
        from: '2026-01-05T00:00:00.000Z',
        to: '2026-01-26T00:00:00.000Z',
        asOf: '2026-01-26T00:00:00.000Z',
        bucket: 'week',
        open: 1,
        overdue: 0,
        openBySeverity: { critical: 0, high: 1, medium: 0, low: 0 },
        openBySite: [{ site, total: 1, critical: 0, high: 1, medium: 0, low: 0 }],
        acknowledge: { count: 0 },
        repair: { count: 0 },
        judgement: { confirmed: 0, falsePositives: 0, leadTimeSamples: 0 },
        buckets: [],
        topAssets: [],
      },
      'open',
    );
    expect(csv).toBe('site,critical,high,medium,low,total\r\n"north, ""B""\nhall",0,1,0,0,1\r\n');
    expect(parse(csv, { columns: true })).toEqual([
      { site, critical: '0', high: '1', medium: '0', low: '0', total: '1' },
    ]);
  });
});

describe('maintenance report over lifecycles', () => {
  const opened = at('2026-01-05T00:00:00Z');
  const range = { fromMs: opened, toMs: at('2026-01-12T00:00:00Z'), nowMs: at('2026-02-01T00:00:00Z') };
  const ticket = (
    id: string,
    status: ReportTicket['status'],
    reviewedAtMs: number | null = null,
  ): ReportTicket => ({
    id,
    site: 'site-a',
    assetId: 'pump-1',
    severity: 'high',
    status,
    dueAtMs: opened + 72 * H,
    openedAtMs: opened,
    outcome: null,
    leadTimeMs: null,
    reviewedAtMs,
  });
  const move = (
    ticketId: string,
    hours: number,
    from: ReportMove['from'],
    to: ReportMove['to'],
    actor = 'ana',
  ) => ({
    ticketId,
    atMs: opened + hours * H,
    actor,
    from,
    to,
  });

  it('counts a reopened ticket as open and unrepaired, and its first acknowledgement only', () => {
    const r = maintenanceReport(
      { ...range, bucket: 'week' },
      [ticket('a', 'in_progress')],
      [
        move('a', 2, 'new', 'acknowledged'),
        move('a', 10, 'acknowledged', 'resolved'),
        move('a', 30, 'resolved', 'in_progress'),
        move('a', 40, 'in_progress', 'acknowledged'),
      ],
    );
    expect(r).toMatchObject({ open: 1, overdue: 1, repair: { count: 0 } });
    expect(r.acknowledge).toEqual({ count: 1, meanMs: 2 * H, medianMs: 2 * H });
  });

  it('repairs at the last resolve of a ticket resolved again', () => {
    const r = maintenanceReport(
      { ...range, bucket: 'day' },
      [ticket('a', 'closed')],
      [
        move('a', 1, 'new', 'in_progress'),
        move('a', 10, 'in_progress', 'resolved'),
        move('a', 30, 'resolved', 'in_progress'),
        move('a', 50, 'in_progress', 'resolved'),
        move('a', 60, 'resolved', 'closed'),
      ],
    );
    expect(r.repair).toEqual({ count: 1, meanMs: 50 * H, medianMs: 50 * H });
    // Resolved within the first day, reopened on the second, resolved again on the third.
    expect(r.buckets.slice(0, 3).map((b) => b.backlog)).toEqual([0, 1, 0]);
  });

  it('takes an imported ticket as closed when it was last reviewed, and a gateway folding one as no acknowledgement', () => {
    const r = maintenanceReport(
      { ...range, bucket: 'week' },
      [ticket('imported', 'resolved', opened + 36 * H), ticket('folded', 'duplicate')],
      [move('folded', 1, 'new', 'duplicate', 'gateway:gw-1')],
    );
    expect(r).toMatchObject({ open: 0, acknowledge: { count: 0 } });
    expect(r.repair).toEqual({ count: 1, meanMs: 36 * H, medianMs: 36 * H });
  });
});
