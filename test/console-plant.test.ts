import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetHealthReply, PlantReply } from '../cloud/assets/plant-types.js';
import type { RunningCloud } from '../cloud/server.js';
import type * as Ui from '../cloud/ui/src/types.js';
import type { TelemetryPoint } from '../shared/schema/telemetry.js';
import { adminToken } from './helpers/cloud-client.js';
import {
  closeBrowserAndCloud,
  connectGateway,
  launchChromium,
  logInThroughForm,
  postExpectingOk,
  requireChromium,
  sidewaysScroll,
  type TestGateway,
  watchPage,
} from './helpers/console-browser.js';
import { keepScreenshot, SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

/* The plant API's replies must keep fitting what the console reads (see test/console.test.ts). */
type Fits<Actual extends Expected, Expected> = [Actual, Expected];
export type _PlantMessagesFitTheSchema = [
  Fits<PlantReply, Ui.PlantReply>,
  Fits<AssetHealthReply, Ui.AssetHealthReply>,
];

const PASSWORD = 'plant-test-password-1';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The chips' backgrounds (app.css: --danger-bg, --warn-bg, --ok-bg, --low). */
const CHIP_BACKGROUNDS = {
  alarm: 'rgb(254, 226, 226)',
  watch: 'rgb(254, 243, 199)',
  healthy: 'rgb(209, 250, 229)',
  unknown: 'rgb(228, 231, 235)',
};

describe('plant overview and asset page in a real browser', () => {
  let cloud: RunningCloud;
  let browser: Browser;
  let desktop: BrowserContext;
  let phone: BrowserContext;
  let page: Page;
  let gateway: TestGateway;
  const problems: string[] = [];
  const now = Date.now();

  const point = (assetId: string, channel: string, ago: number, fields: Record<string, number>) =>
    ({ ts: now - ago, site: 'plant7', assetId, channel, fields }) satisfies TelemetryPoint;

  // The unknown asset's health answers 404 on purpose; Chromium logs it as a failed load.
  const watch = (target: Page) => watchPage(target, problems, { expectedStatus: 404 });
  const logIn = (target: Page) =>
    logInThroughForm(target, cloud.url, { username: 'ana', password: PASSWORD, role: 'engineer' });
  const card = (target: Page, assetId: string) => target.locator(`.asset-card[data-asset="${assetId}"]`);

  beforeAll(async () => {
    requireChromium();
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    gateway = await connectGateway(cloud, 'gw-plant7', ['plant7']);
    await cloud.store.access.createUser({
      username: 'ana',
      role: 'engineer',
      sites: 'all',
      password: PASSWORD,
    });

    // The registry through the import route, as `plantwatch cloud import assets` sends it.
    await postExpectingOk(
      cloud.url,
      '/api/v1/imports/assets',
      await adminToken(cloud),
      [
        'assetId,site,name,group,machineClass,channels',
        'pump-1,plant7,Cooling water pump 1,utilities,group2-rigid,de;nde',
        'fan-2,plant7,Paint booth exhaust fan,paint-shop,,de',
        'idle-7,plant7,Spare compressor,utilities,,',
      ].join('\n'),
      'text/csv',
    );
    await gateway.ingest([
      sampleTicket({
        gatewayId: 'gw-plant7',
        site: 'plant7',
        assetId: 'fan-2',
        severity: 'critical',
        title: 'fan-2: velocity in ISO zone D',
      }),
      sampleTicket({ gatewayId: 'gw-plant7', site: 'plant7', assetId: 'gearbox-3', severity: 'medium' }),
    ]);
    await gateway.sendTelemetry([
      // One 20-minute bucket holding 8.0 and then 2.1: its mean (5.05) is not what the pump reads now.
      point('pump-1', 'de', 9 * MINUTE, { velocityRmsMmS: 8, isoZoneIndex: 2 }),
      point('pump-1', 'de', 3 * MINUTE, { velocityRmsMmS: 2.1, isoZoneIndex: 1 }),
      point('pump-1', 'nde', 3 * MINUTE, { velocityRmsMmS: 1.2, isoZoneIndex: 0 }),
      point('fan-2', 'de', 2 * MINUTE, { velocityRmsMmS: 11.2, isoZoneIndex: 3 }),
      point('compressor-5', 'de', 2 * MINUTE, { velocityRmsMmS: 5.6, isoZoneIndex: 2 }),
      point('oven-1', 'zone1-temp', MINUTE, { value: 182.4 }),
      point('chiller-4', 'supply-temp', 10 * HOUR, { value: 7.5 }),
    ]);

    browser = await launchChromium();
    desktop = await browser.newContext({ viewport: DESKTOP });
    page = await desktop.newPage();
    watch(page);
    // Fake timers, so the 30 s refresh is stepped through rather than waited for.
    await page.clock.install();
    await logIn(page);
  }, 60_000);

  afterAll(() => closeBrowserAndCloud(browser, cloud), 30_000);

  it('shows sites → areas → assets with health in words and colour, and counts per state', async () => {
    await page.goto(`${cloud.url}/#/plant`);
    await card(page, 'pump-1').waitFor();
    expect(await page.locator('.plant-counts').textContent()).toBe(
      '1 alarm · 2 watch · 2 healthy · 2 unknown',
    );
    const layout = await page.locator('.plant-site').evaluateAll((sites) =>
      sites.map((site) => ({
        site: site.getAttribute('data-site'),
        areas: [...site.querySelectorAll('.plant-area')].map((area) => [
          area.getAttribute('data-area'),
          [...area.querySelectorAll('.asset-card')].map((c) => c.getAttribute('data-asset')),
        ]),
      })),
    );
    expect(layout).toEqual([
      {
        site: 'plant7',
        areas: [
          ['paint-shop', ['fan-2']],
          ['utilities', ['idle-7', 'pump-1']],
          ['unassigned', ['chiller-4', 'compressor-5', 'gearbox-3', 'oven-1']],
        ],
      },
    ]);
    const chips = await page.evaluate<{ asset: string; words: string; background: string }[]>(`
      [...document.querySelectorAll('.asset-card .health-chip')].map((el) => ({
        asset: el.closest('.asset-card').getAttribute('data-asset'),
        words: el.textContent,
        background: getComputedStyle(el).backgroundColor,
      }))`);
    const expected = {
      'fan-2': 'alarm',
      'idle-7': 'unknown',
      'pump-1': 'healthy',
      'chiller-4': 'unknown',
      'compressor-5': 'watch',
      'gearbox-3': 'watch',
      'oven-1': 'healthy',
    } as const;
    for (const chip of chips) {
      const state = expected[chip.asset as keyof typeof expected];
      expect(chip.words, chip.asset).toMatch(new RegExp(`${state}$`, 'i'));
      expect(chip.background, chip.asset).toBe(CHIP_BACKGROUNDS[state]);
    }
    expect(chips).toHaveLength(7);
    await page.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'console-plant.png'), fullPage: true });
    keepScreenshot('console-plant.png', 'plant.png');
  }, 60_000);

  it('shows the latest key values with units and age, the reasons and the open tickets', async () => {
    const pump = card(page, 'pump-1');
    expect(await pump.locator('.asset-link').textContent()).toBe('Cooling water pump 1 pump-1');
    expect(await pump.locator('.asset-values').textContent()).toMatch(
      /^Velocity RMS2\.1 mm\/s de · \d+ min agoISO 20816 zoneB de · \d+ min ago$/,
    );
    expect(await pump.locator('.asset-reasons').textContent()).toBe(
      'ISO 20816 zone B on de (2.1 mm/s); no open tickets',
    );
    expect(await card(page, 'oven-1').locator('.asset-values').textContent()).toMatch(
      /^zone1-temp182\.4 \d+ min ago$/,
    );
    expect(await card(page, 'chiller-4').locator('.asset-reasons').textContent()).toBe(
      'no telemetry for 10 h and no open tickets',
    );
    const tickets = card(page, 'fan-2').locator('a.asset-tickets');
    expect(await tickets.textContent()).toBe('1 open ticket, highest critical');
    expect(await tickets.getAttribute('href')).toBe('#/queue?asset=fan-2');
  }, 60_000);

  it('filters by health state, mirrored in the URL, and keeps the counts', async () => {
    await page.locator('#filter-health').selectOption('alarm');
    await expect.poll(() => page.locator('.asset-card').count()).toBe(1);
    expect(page.url()).toContain('#/plant?health=alarm');
    expect(await page.locator('.asset-card').getAttribute('data-asset')).toBe('fan-2');
    expect(await page.locator('.plant-counts').textContent()).toBe(
      '1 alarm · 2 watch · 2 healthy · 2 unknown',
    );
    expect(await page.locator('#filter-health option:checked').textContent()).toBe('Alarm (1)');
    await page.goto(`${cloud.url}/#/plant?health=unknown`);
    await expect
      .poll(() =>
        page.locator('.asset-card').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-asset'))),
      )
      .toEqual(['idle-7', 'chiller-4']);
    expect(await page.locator('#filter-health').inputValue()).toBe('unknown');
    await page.locator('#filter-health').selectOption('');
    await expect.poll(() => page.locator('.asset-card').count()).toBe(7);
    expect(page.url()).toMatch(/#\/plant$/);
  }, 60_000);

  it('refreshes every 30 s', async () => {
    await gateway.sendTelemetry([point('compressor-5', 'de', 0, { velocityRmsMmS: 9.8, isoZoneIndex: 3 })]);
    expect(await card(page, 'compressor-5').locator('.health-chip').textContent()).toMatch(/Watch$/);
    await page.clock.fastForward(31_000);
    await expect
      .poll(() => card(page, 'compressor-5').locator('.health-chip').textContent())
      .toMatch(/Alarm$/);
    expect(await page.locator('.plant-counts').textContent()).toBe(
      '2 alarm · 1 watch · 2 healthy · 2 unknown',
    );
  }, 60_000);

  it('leads to the asset page: breadcrumb, state and the latest value with its time', async () => {
    await card(page, 'pump-1').locator('.asset-link').click();
    await expect.poll(() => page.url()).toContain('#/assets/pump-1');
    const view = page.locator('.asset-view');
    await view.locator('.health').waitFor();
    expect(await view.locator('.crumbs').textContent()).toBe(
      'Plant › plant7 › utilities › Cooling water pump 1',
    );
    expect(
      await view.locator('.crumbs a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
    ).toEqual(['#/plant', '#/plant?site=plant7']);
    expect(await view.locator('h1').textContent()).toBe('Cooling water pump 1 (pump-1)');
    expect(await view.locator('.health-now .health-chip').textContent()).toMatch(/Healthy$/);
    // The latest reading, not the 20-minute bucket's mean of 8.0 and 2.1.
    expect(await view.locator('.health-card.health-velocity strong').textContent()).toBe('2.1 mm/s');
    expect(await view.locator('.health-card.health-velocity small').textContent()).toMatch(
      /^de, \d{4}-\d\d-\d\d \d\d:\d\d \(\d+ min ago\)$/,
    );
    expect(await view.locator('.health-card.zone-b strong').textContent()).toBe('B');
    await view.locator('figure[data-chart="trend"] .uplot canvas').waitFor();
    await page.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'console-plant-asset.png'), fullPage: true });
  }, 60_000);

  it('says so for an asset nobody knows, with a way back to the plant', async () => {
    await page.goto(`${cloud.url}/#/assets/no-such-pump`);
    const heading = page.locator('main h1');
    await expect.poll(() => heading.textContent()).toBe('No asset named no-such-pump');
    expect(await page.locator('.asset-unknown a[href="#/plant"]').textContent()).toBe('plant overview');
    expect(await page.locator('.health').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'console-plant-unknown.png'), fullPage: true });
  }, 60_000);

  it('works on a phone 390 px wide: one column, no sideways scrolling', async () => {
    phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const small = await phone.newPage();
    watch(small);
    await logIn(small);
    await small.goto(`${cloud.url}/#/plant?health=alarm`);
    await card(small, 'fan-2').waitFor();
    expect(await sidewaysScroll(small)).toBeLessThanOrEqual(0);
    const widths = await small
      .locator('.asset-card')
      .evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().width));
    for (const width of widths) expect(width).toBeGreaterThan(300);
    expect(await card(small, 'fan-2').locator('.health-chip').isVisible()).toBe(true);
    await small.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'console-plant-phone.png'), fullPage: true });

    await card(small, 'fan-2').locator('.asset-link').tap();
    await small.locator('.asset-view .health').waitFor();
    expect(await small.locator('.health-card.health-velocity strong').textContent()).toBe('11.2 mm/s');
    expect(await sidewaysScroll(small)).toBeLessThanOrEqual(0);
    await small.screenshot({
      path: join(SCREENSHOT_ARTIFACTS, 'console-plant-asset-phone.png'),
      fullPage: true,
    });
  }, 60_000);

  it('ran without page errors, console errors or policy violations', () => {
    expect(problems).toEqual([]);
  });
});
