import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import type * as Ui from '../cloud/ui/src/types.js';
import type { MaintenanceReport, Ticket, TransitionRequest } from '../shared/schema/index.js';
import {
  closeBrowserAndCloud,
  connectGateway,
  launchChromium,
  logInThroughForm,
  newWatchedPage,
  pageScrollWidth,
  queueShown,
  requireChromium,
} from './helpers/console-browser.js';
import { keepScreenshot, SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

/** `npm run typecheck` fails when the report the server sends stops fitting what the console reads. */
type Fits<Actual extends Expected, Expected> = [Actual, Expected];
export type _ReportFitsTheConsole = [Fits<MaintenanceReport, Ui.MaintenanceReport>];

const PASSWORD = 'correct horse battery staple';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The reports screen over a known fortnight: four tickets on plant7 raised through the real ingest
 * route and moved on their lifecycle at known times, so the tiles have exact numbers to show.
 */
describe('reports screen in a real browser', () => {
  let cloud: RunningCloud;
  let browser: Browser;
  const problems: string[] = [];
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms).toISOString();

  const ticket = (assetId: string, severity: Ticket['severity'], openedAgo: number) =>
    sampleTicket({
      gatewayId: 'gw-plant7',
      site: 'plant7',
      assetId,
      severity,
      title: `${assetId}: velocity high`,
      firstSeen: ago(openedAgo),
      lastSeen: ago(openedAgo),
    });
  // Acknowledged after 1 h, repaired after 24 h: a confirmed failure.
  const repaired = ticket('pump-1', 'high', 10 * DAY);
  // Acknowledged after 3 h, then a false positive.
  const falseAlarm = ticket('pump-1', 'medium', 9 * DAY);
  // Critical, acknowledged after 2 h and still open: past its 8 h SLA.
  const overdue = ticket('fan-2', 'critical', 5 * DAY);
  // Never touched, due in 30 days.
  const fresh = ticket('pump-1', 'low', 3 * DAY);

  const openPage = async (viewport: { width: number; height: number }) => {
    const page = await newWatchedPage(browser, { viewport, acceptDownloads: true }, problems, {
      timeoutMs: 15_000,
    });
    await logInThroughForm(page, cloud.url, { username: 'ana', password: PASSWORD }, queueShown);
    return page;
  };

  const showReport = async (page: Page, query = '') => {
    await page.goto(`${cloud.url}/#/reports${query}`);
    await page.locator('.report-tiles').waitFor();
  };
  const tileValue = (page: Page, kpi: string) =>
    page.locator(`.report-tile[data-kpi="${kpi}"] .report-tile-value`).textContent();

  beforeAll(async () => {
    requireChromium();
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    const { access, review } = cloud.store;
    const gateway = await connectGateway(cloud, 'gw-plant7', ['plant7'], { eventTime: 'first-seen' });
    await access.createUser({ username: 'ana', role: 'engineer', sites: 'all', password: PASSWORD });
    await gateway.ingest([repaired, falseAlarm, overdue, fresh]);

    // Moves at known past times go through the review store (the API stamps them with now).
    const move = async (t: Ticket, afterOpening: number, request: TransitionRequest) => {
      const outcome = await review.transition(t.id, 'ana', request, Date.parse(t.firstSeen) + afterOpening);
      expect(outcome).toHaveProperty('ok');
    };
    await move(repaired, HOUR, { to: 'acknowledged' });
    await move(repaired, 24 * HOUR, {
      to: 'resolved',
      confirmActive: true,
      feedback: {
        outcome: 'confirmed',
        failureMode: 'unbalance',
        actionTaken: 'balanced the impeller, "as found" 7.1 mm/s',
        failureAt: new Date(Date.parse(repaired.firstSeen) + 22 * HOUR).toISOString(),
      },
    });
    await move(falseAlarm, 3 * HOUR, { to: 'acknowledged' });
    await move(falseAlarm, 5 * HOUR, { to: 'false_positive' });
    await move(overdue, 2 * HOUR, { to: 'acknowledged' });

    browser = await launchChromium();
  }, 60_000);

  afterAll(() => closeBrowserAndCloud(browser, cloud), 30_000);

  it('shows the seeded figures in the tiles and tables at desktop width', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    await page.locator('.report-tiles').waitFor();
    expect(await page.title()).toBe('Plantwatch · Reports');
    expect(await tileValue(page, 'open')).toBe('2');
    expect(await tileValue(page, 'overdue')).toBe('1');
    // Acknowledged after 1, 3 and 2 hours; repaired after 24.
    expect(await tileValue(page, 'mtta')).toBe('2 h');
    expect(await page.locator('.report-tile[data-kpi="mtta"] .report-tile-detail').textContent()).toBe(
      'mean of 3; median 2 h',
    );
    expect(await tileValue(page, 'mttr')).toBe('1 d');
    expect(await tileValue(page, 'precision')).toBe('50 %');

    const open = page.locator('table.report-open tr[data-site="plant7"]');
    expect(await open.locator('td').allTextContents()).toEqual(['1', '0', '0', '1', '2']);
    // Numbers right-aligned under right-aligned headings.
    for (const selector of ['table.report-open tbody td', 'table.report-open thead th:nth-child(2)']) {
      expect(await page.evaluate(`getComputedStyle(document.querySelector('${selector}')).textAlign`)).toBe(
        'right',
      );
    }
    // Two weeks hold tickets; their opened counts add up to the four seeded.
    const opened = await page.locator('table.report-buckets tbody tr td:nth-of-type(1)').allTextContents();
    expect(opened.map(Number).reduce((a, b) => a + b, 0)).toBe(4);
    expect(
      await page.locator('table.report-buckets tbody tr').last().locator('td').nth(1).textContent(),
    ).toBe('2');
    // Both charts drew (uPlot canvases), not their empty sentences.
    expect(await page.locator('.report-charts figure canvas').count()).toBe(2);

    await page.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'console-reports.png'), fullPage: true });
    keepScreenshot('console-reports.png', 'reports.png');

    const asset = page.locator('table.report-assets tr[data-asset="pump-1"]');
    expect(await asset.locator('td').allTextContents()).toEqual(['plant7', '3', '1']);
    await asset.getByRole('link', { name: 'pump-1' }).click();
    await page.waitForURL(/#\/assets\/pump-1$/);
    await page.locator('h1', { hasText: 'pump-1' }).waitFor();
  }, 60_000);

  it('keeps the range in the URL and downloads each table as CSV with the session', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    await showReport(page);
    await page.locator('#report-bucket').selectOption('day');
    await page.getByRole('button', { name: 'Show' }).click();
    // The form shows the range the server settled on, and the URL what the form shows.
    await page.waitForURL(/#\/reports\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}&bucket=day$/);
    await page.locator('table.report-buckets thead th', { hasText: 'Day' }).waitFor();
    // The default range: 90 days, the first and last partial, so 91 rows.
    expect(await page.locator('table.report-buckets tbody tr').count()).toBe(91);

    const from = new Date(now - 14 * DAY).toISOString().slice(0, 10);
    await showReport(page, `?from=${from}&bucket=month`);
    expect(await page.locator('#report-from').inputValue()).toBe(from);
    expect(await page.locator('#report-bucket').inputValue()).toBe('month');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('button.report-download[data-table="assets"]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^plantwatch-maintenance-assets-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const csv = readFileSync((await download.path()) as string, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('asset_id,site,tickets,open');
    expect(parse(csv, { columns: true })).toEqual([
      { asset_id: 'pump-1', site: 'plant7', tickets: '3', open: '1' },
      { asset_id: 'fan-2', site: 'plant7', tickets: '1', open: '1' },
    ]);
    const [summary] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download summary CSV' }).click(),
    ]);
    const rows = parse(readFileSync((await summary.path()) as string, 'utf8'), { columns: true }) as {
      metric: string;
      value: string;
    }[];
    expect(rows.find((r) => r.metric === 'acknowledge_mean_ms')?.value).toBe(String(2 * HOUR));
    expect(rows.find((r) => r.metric === 'precision')?.value).toBe('0.5');
  }, 60_000);

  it('says so instead of showing empty tables', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    await showReport(page, '?site=elsewhere');
    expect(await tileValue(page, 'open')).toBe('0');
    expect(await page.locator('.report-body p.empty').allTextContents()).toEqual([
      expect.stringMatching(/^No ticket was open at /),
      'No ticket was opened in this range.',
    ]);
    expect(await page.locator('table.report-open, table.report-assets').count()).toBe(0);
    expect(await page.locator('.report-charts .empty-chart').count()).toBe(1);
    expect(await page.locator('button.report-download[data-table="open"]').count()).toBe(0);
  }, 60_000);

  it('fits a phone: tiles stacked, tables scrolling inside their box', async () => {
    const page = await openPage({ width: 390, height: 844 });
    await showReport(page);
    expect(await tileValue(page, 'open')).toBe('2');
    expect(await pageScrollWidth(page)).toBeLessThanOrEqual(390);
    const tile = await page.locator('.report-tile[data-kpi="open"]').boundingBox();
    expect(tile?.width).toBeLessThanOrEqual(390);
    await page.locator('.report-charts canvas').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'console-reports-phone.png'), fullPage: true });
  }, 60_000);

  it('shows the gateways page as Gateways from the nav and from the old #/fleet link', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gateways' }).click();
    await page.waitForURL(/#\/gateways$/);
    await page.locator('h1', { hasText: 'Gateways' }).waitFor();
    expect(await page.title()).toBe('Plantwatch · Gateways');
    await page.goto(`${cloud.url}/#/fleet`);
    await page.locator('table.fleet tr[data-gateway="gw-plant7"]').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Gateways');
    expect(await page.title()).toBe('Plantwatch · Gateways');
  }, 60_000);

  it('ran without page errors, console errors or policy violations', () => {
    expect(problems).toEqual([]);
  });
});
