import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import {
  defaultRange,
  fromLocalInput,
  pointsFor,
  presetRange,
  rangeFromQuery,
  rangeToQuery,
  toLocalInput,
} from '../cloud/ui/src/trend-range.js';
import type * as Ui from '../cloud/ui/src/types.js';
import type { Ticket, TrendSeriesRef, TriggeringValue } from '../shared/schema/index.js';
import {
  closeBrowserAndCloud,
  connectGateway,
  launchChromium,
  logInThroughForm,
  newWatchedPage,
  pageScrollWidth,
  queueShown,
  requireChromium,
  type TestGateway,
} from './helpers/console-browser.js';
import { SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

/* The console's copies of the new schema types must keep fitting what the server sends. */
type Fits<Actual extends Expected, Expected> = [Actual, Expected];
export type _TrendTypesFitTheSchema = [
  Fits<TriggeringValue, Ui.TriggeringValue>,
  Fits<TrendSeriesRef, Ui.TrendSeriesRef>,
];

const PASSWORD = 'console-trends-password-1';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GATEWAY = 'gw-trends';
const SITE = 'plant-t';

describe('trend ranges (no browser)', () => {
  const focus = {
    firstSeen: Date.parse('2026-03-02T10:00:00Z'),
    lastSeen: Date.parse('2026-03-02T10:10:00Z'),
  };

  it('defaults to the smallest preset that holds the ticket, with room before it opened', () => {
    const range = defaultRange(focus);
    expect(range.preset).toBe('hour');
    expect(range.to - range.from).toBe(HOUR);
    expect(range.from).toBeLessThanOrEqual(focus.firstSeen - HOUR / 4);
    expect(range.to).toBeGreaterThan(focus.lastSeen);
    // A ticket seen for two days needs a week; a prediction three days out, too.
    expect(defaultRange({ ...focus, lastSeen: focus.firstSeen + 2 * DAY }).preset).toBe('week');
    expect(defaultRange({ ...focus, eta: focus.firstSeen + 3 * DAY }).preset).toBe('week');
    // An ETA far beyond a month does not stretch the chart: the chart names it instead.
    expect(defaultRange({ ...focus, eta: focus.firstSeen + 400 * DAY }).preset).toBe('hour');
  });

  it('buckets as fine as the 10 s telemetry, up to 720 points', () => {
    expect(pointsFor(presetRange('hour', focus))).toBe(360);
    expect(pointsFor(presetRange('day', focus))).toBe(720);
    expect(pointsFor({ preset: 'custom', from: 0, to: 5 * MINUTE })).toBe(30);
  });

  it('round-trips a range through the URL and says what it ignored', () => {
    const custom = { preset: 'custom' as const, from: focus.firstSeen, to: focus.firstSeen + 2 * HOUR };
    const query = rangeToQuery(custom, new URLSearchParams({ keep: '1', range: 'day' }));
    expect(query.get('keep')).toBe('1');
    expect(query.has('range')).toBe(false);
    expect(rangeFromQuery(query, focus)).toEqual({ range: custom });
    expect(rangeFromQuery(new URLSearchParams({ range: 'week' }), focus).range.preset).toBe('week');
    expect(rangeFromQuery(new URLSearchParams({ range: 'year' }), focus)).toMatchObject({
      range: { preset: 'hour' },
      problem: 'Ignored range=year: use hour, day, week, month, or from and to.',
    });
    expect(rangeFromQuery(new URLSearchParams({ from: 'soon', to: 'later' }), focus).problem).toMatch(
      /^Ignored from=soon&to=later: both must be date-times/,
    );
    expect(fromLocalInput(toLocalInput(focus.firstSeen))).toBe(focus.firstSeen);
    expect(fromLocalInput('')).toBeUndefined();
  });
});

describe('ticket trends in a real browser', () => {
  let cloud: RunningCloud;
  let browser: Browser;
  let gateway: TestGateway;
  const problems: string[] = [];
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  // (a) an ISO zone ticket as a current edge raises it: it names velocity against the B|C boundary.
  const zone = sampleTicket({
    gatewayId: GATEWAY,
    site: SITE,
    assetId: 'pump-1',
    title: 'pump-1: Vibration velocity in ISO 20816 zone C or D (zone D)',
    firstSeen: iso(now - 30 * MINUTE),
    lastSeen: iso(now - 20 * MINUTE),
    evidence: {
      triggeringValues: [
        {
          metric: 'isoZone',
          value: 'D',
          threshold: 'C',
          comparison: '>=',
          series: { channel: 'de', field: 'velocityRmsMmS', unit: 'mm/s', threshold: 2.8 },
        },
      ],
      windowStart: iso(now - 30 * MINUTE),
      windowEnd: iso(now - 30 * MINUTE),
      channel: 'de',
      reasoning: ["isoZone = 'D' >= 'C': holds"],
    },
  });
  // (a2) the same from an older gateway, without `series`: drawn as the zone index, letters on the axis.
  const olderZone = sampleTicket({
    gatewayId: GATEWAY,
    site: SITE,
    assetId: 'pump-2',
    title: 'pump-2: Vibration velocity in ISO 20816 zone C or D (zone C)',
    firstSeen: iso(now - 30 * MINUTE),
    lastSeen: iso(now - 20 * MINUTE),
    evidence: {
      triggeringValues: [{ metric: 'isoZone', value: 'C', threshold: 'C', comparison: '>=' }],
      windowStart: iso(now - 30 * MINUTE),
      windowEnd: iso(now - 30 * MINUTE),
      channel: 'de',
      reasoning: [],
    },
  });
  // (b) an unbalance finding: its confidence is a telemetry field of its own.
  const finding = sampleTicket({
    gatewayId: GATEWAY,
    site: SITE,
    assetId: 'fan-3',
    fault: 'unbalance',
    title: 'fan-3: Unbalance (1× dominant), confidence 93 %',
    firstSeen: iso(now - 30 * MINUTE),
    lastSeen: iso(now - 15 * MINUTE),
    evidence: {
      triggeringValues: [
        {
          metric: 'finding.unbalance',
          value: 0.93,
          threshold: 0.5,
          comparison: '>=',
          series: { channel: 'de', field: 'finding.unbalance', threshold: 0.5 },
        },
      ],
      windowStart: iso(now - 30 * MINUTE),
      windowEnd: iso(now - 30 * MINUTE),
      channel: 'de',
      reasoning: [],
    },
  });
  // (c) the CNC's spindle temperature, a scalar reading, from an older gateway, with a prediction.
  const spindle = sampleTicket({
    gatewayId: GATEWAY,
    site: SITE,
    assetId: 'cnc-1',
    fault: 'overheating',
    title: 'cnc-1: Spindle overheating with low coolant flow (spindle_temperature 80.14 degC > 65 degC)',
    firstSeen: iso(now - 30 * MINUTE),
    lastSeen: iso(now - 10 * MINUTE),
    evidence: {
      triggeringValues: [
        { metric: 'spindle_temperature', value: 80.14, threshold: 65, comparison: '>', unit: 'degC' },
        { metric: 'coolant_flow', value: 8, threshold: 12, comparison: '<', unit: 'L/min' },
      ],
      windowStart: iso(now - 30 * MINUTE),
      windowEnd: iso(now - 30 * MINUTE),
      channel: 'spindle_temperature',
      reasoning: [],
    },
    prediction: {
      metric: 'spindle_temperature',
      threshold: 65,
      eta: iso(now - 28 * MINUTE),
      intervalStart: iso(now - 33 * MINUTE),
      intervalEnd: iso(now - 25 * MINUTE),
      model: 'linear',
    },
  });

  /** An hour of 10 s summaries up to ten minutes ago, as the edge sends them. */
  const summaries = (
    assetId: string,
    channel: string,
    fields: (progress: number) => Record<string, number>,
  ) =>
    Array.from({ length: 300 }, (_, i) => ({
      ts: now - 60 * MINUTE + i * 10_000,
      site: SITE,
      assetId,
      channel,
      fields: fields(i / 299),
    }));
  const round = (v: number) => Math.round(v * 1000) / 1000;

  const newPage = async (viewport: {
    width: number;
    height: number;
  }): Promise<{ context: BrowserContext; page: Page; requests: URL[] }> => {
    const page = await newWatchedPage(browser, { viewport, timezoneId: 'UTC', locale: 'en-GB' }, problems, {
      timeoutMs: 15_000,
    });
    const requests: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/trend')) requests.push(url);
    });
    await logInThroughForm(page, cloud.url, { username: 'ana', password: PASSWORD }, queueShown);
    return { context: page.context(), page, requests };
  };

  const trendOf = (page: Page) => page.locator('figure[data-chart="trend"]');
  const openTicket = async (page: Page, ticket: Ticket, query = '') => {
    await page.goto(`${cloud.url}/#/tickets/${ticket.id}${query}`);
    await trendOf(page).waitFor();
  };

  beforeAll(async () => {
    requireChromium();
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    gateway = await connectGateway(cloud, GATEWAY, [SITE], { eventTime: 'first-seen', reportsBacklog: true });
    await cloud.store.access.createUser({
      username: 'ana',
      role: 'engineer',
      sites: 'all',
      password: PASSWORD,
    });
    await gateway.ingest([zone, olderZone, finding, spindle]);
    const velocity = (p: number) => round(1 + 4 * p);
    await gateway.sendTelemetry([
      ...summaries('pump-1', 'de', (p) => ({
        velocityRmsMmS: velocity(p),
        isoZoneIndex: velocity(p) >= 2.8 ? 2 : 1,
      })),
      ...summaries('pump-2', 'de', (p) => ({ velocityRmsMmS: velocity(p), isoZoneIndex: p < 0.5 ? 1 : 2 })),
      ...summaries('fan-3', 'de', (p) => ({
        'finding.unbalance': round(0.1 + 0.85 * p),
        'finding.looseness': 0,
      })),
    ]);
    await gateway.sendTelemetry([
      ...summaries('cnc-1', 'spindle_temperature', (p) => ({ value: round(40 + 42 * p) })),
      ...summaries('cnc-1', 'coolant_flow', (p) => ({ value: round(20 - 12 * p) })),
    ]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(() => closeBrowserAndCloud(browser, cloud), 30_000);

  for (const [width, height, name] of [
    [1280, 800, 'desktop'],
    [390, 844, 'phone'],
  ] as const) {
    it(`draws each demo ticket's trend with its threshold (${name}, ${width}×${height})`, async () => {
      const { context, page, requests } = await newPage({ width, height });
      try {
        // (a) ISO zone → velocity against the zone C boundary, over the hour around the ticket.
        await openTicket(page, zone);
        const a = trendOf(page);
        await a.locator('.uplot canvas').waitFor();
        expect(await a.getAttribute('data-metric')).toBe('velocityRmsMmS');
        expect(await a.getAttribute('data-channel')).toBe('de');
        expect(await a.getAttribute('data-range')).toBe('hour');
        expect(await a.getAttribute('data-max-points')).toBe('360');
        // 10 s buckets over the 50 minutes of data the hour holds: a line, not a dot at the edge.
        expect(Number(await a.getAttribute('data-points'))).toBeGreaterThan(250);
        expect(await a.locator('.trend-mark.mark-threshold').textContent()).toBe('threshold 2.8 mm/s');
        expect(await a.locator('.trend-mark.mark-threshold').isVisible()).toBe(true);
        expect(await a.locator('figcaption').textContent()).toBe(
          'isoZone on pump-1 (de), drawn as velocityRmsMmS',
        );
        expect(await page.locator('.range-button[aria-pressed="true"]').textContent()).toBe('Hour');
        const asked = requests.at(-1)!;
        expect(asked.searchParams.get('metric')).toBe('velocityRmsMmS');
        expect(Date.parse(asked.searchParams.get('to')!) - Date.parse(asked.searchParams.get('from')!)).toBe(
          HOUR,
        );
        // Nothing on the page is wider than the screen.
        expect(await pageScrollWidth(page)).toBeLessThanOrEqual(width);
        await page.screenshot({
          path: join(SCREENSHOT_ARTIFACTS, `console-trends-iso-${name}.png`),
          fullPage: true,
        });

        // (a2) an older gateway's zone ticket: the zone index, with letters.
        await openTicket(page, olderZone);
        const a2 = trendOf(page);
        await a2.locator('.uplot canvas').waitFor();
        expect(await a2.getAttribute('data-metric')).toBe('isoZoneIndex');
        expect(await a2.locator('.trend-mark.mark-threshold').textContent()).toBe('threshold zone C');
        expect(await a2.locator('.chart').getAttribute('aria-label')).toMatch(
          /last zone C, threshold zone C$/,
        );
        await page.screenshot({
          path: join(SCREENSHOT_ARTIFACTS, `console-trends-zone-index-${name}.png`),
          fullPage: true,
        });

        // (b) the unbalance finding's confidence.
        await openTicket(page, finding);
        const b = trendOf(page);
        await b.locator('.uplot canvas').waitFor();
        expect(await b.getAttribute('data-metric')).toBe('finding.unbalance');
        expect(Number(await b.getAttribute('data-points'))).toBeGreaterThan(250);
        expect(await b.locator('.trend-mark.mark-threshold').textContent()).toBe('threshold 0.5');
        await page.screenshot({
          path: join(SCREENSHOT_ARTIFACTS, `console-trends-finding-${name}.png`),
          fullPage: true,
        });

        // (c) the spindle temperature reading, with the prediction's band inside the range.
        await openTicket(page, spindle);
        const c = trendOf(page);
        await c.locator('.uplot canvas').waitFor();
        expect(await c.getAttribute('data-metric')).toBe('value');
        expect(await c.getAttribute('data-channel')).toBe('spindle_temperature');
        expect(await c.locator('.u-legend').textContent()).toContain('spindle_temperature');
        expect(Number(await c.getAttribute('data-points'))).toBeGreaterThan(200);
        expect(await c.locator('.trend-mark.mark-threshold').textContent()).toBe('threshold 65 degC');
        expect(await c.locator('.trend-mark.mark-eta').isVisible()).toBe(true);
        expect(await c.locator('.chart-notes').textContent()).toContain('(shaded)');
        await page.screenshot({
          path: join(SCREENSHOT_ARTIFACTS, `console-trends-spindle-${name}.png`),
          fullPage: true,
        });
      } finally {
        await context.close();
      }
    }, 90_000);
  }

  it('changes the range with the picker, in the request and the URL, and takes a custom range', async () => {
    const { context, page, requests } = await newPage({ width: 1280, height: 800 });
    try {
      await openTicket(page, zone);
      await trendOf(page).locator('.uplot canvas').waitFor();
      // The default is not written into the link; a pick is.
      expect(page.url()).toMatch(new RegExp(`#/tickets/${zone.id}$`));

      await page.getByRole('button', { name: 'Day', exact: true }).click();
      await page.locator('figure[data-chart="trend"][data-range="day"]').waitFor();
      expect(page.url()).toContain(`#/tickets/${zone.id}?range=day`);
      const day = requests.at(-1)!;
      expect(Date.parse(day.searchParams.get('to')!) - Date.parse(day.searchParams.get('from')!)).toBe(DAY);
      expect(day.searchParams.get('maxPoints')).toBe('720');
      expect(await page.locator('.range-button[aria-pressed="true"]').textContent()).toBe('Day');

      // Custom: two local times (the browser runs in UTC here).
      await page.getByRole('button', { name: 'Custom' }).click();
      const from = new Date(now - 45 * MINUTE);
      const to = new Date(now - 15 * MINUTE);
      from.setUTCSeconds(0, 0);
      to.setUTCSeconds(0, 0);
      await page.locator('#trend-from').fill(from.toISOString().slice(0, 16));
      await page.locator('#trend-to').fill(to.toISOString().slice(0, 16));
      await page.locator('#trend-apply').click();
      const custom = page.locator('figure[data-chart="trend"][data-range="custom"]');
      await custom.waitFor();
      expect(await custom.getAttribute('data-from')).toBe(from.toISOString());
      expect(await custom.getAttribute('data-to')).toBe(to.toISOString());
      expect(await custom.getAttribute('data-max-points')).toBe('180');
      const url = new URL(page.url().replace('#/', ''));
      expect(url.searchParams.get('from')).toBe(from.toISOString());
      expect(url.searchParams.get('to')).toBe(to.toISOString());

      // Backwards is refused next to the inputs, and nothing is fetched.
      const before = requests.length;
      await page.locator('#trend-from').fill(to.toISOString().slice(0, 16));
      await page.locator('#trend-to').fill(from.toISOString().slice(0, 16));
      await page.locator('#trend-apply').click();
      expect(await page.locator('.trend-custom .error').textContent()).toBe('From must be before to.');
      expect(requests.length).toBe(before);

      // The link opens the same range; a hand-edited one that makes no sense says what it ignored.
      await page.reload();
      await page.locator('figure[data-chart="trend"][data-range="custom"]').waitFor();
      expect(await trendOf(page).getAttribute('data-from')).toBe(from.toISOString());
      await openTicket(page, zone, '?range=year');
      expect(await page.locator('.trend-problem').textContent()).toBe(
        'Ignored range=year: use hour, day, week, month, or from and to.',
      );
      expect(await trendOf(page).getAttribute('data-range')).toBe('hour');
    } finally {
      await context.close();
    }
  }, 90_000);

  for (const [width, height, name] of [
    [1280, 800, 'desktop'],
    [390, 844, 'phone'],
  ] as const) {
    it(`zooms into a dragged band, keeps it, and resets (${name})`, async () => {
      const { context, page, requests } = await newPage({ width, height });
      try {
        await openTicket(page, finding, '?range=day');
        const figure = trendOf(page);
        await figure.locator('.uplot canvas').waitFor();
        const wide = {
          from: Date.parse((await figure.getAttribute('data-from'))!),
          to: Date.parse((await figure.getAttribute('data-to'))!),
        };
        const over = figure.locator('.u-over');
        await over.scrollIntoViewIfNeeded();
        const box = (await over.boundingBox())!;
        const y = box.y + box.height / 2;
        await page.mouse.move(box.x + box.width * 0.45, y);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
        await page.mouse.move(box.x + box.width * 0.55, y, { steps: 5 });
        await page.mouse.up();
        const zoomed = page.locator('figure[data-chart="trend"][data-range="custom"]');
        await zoomed.waitFor();
        const from = Date.parse((await zoomed.getAttribute('data-from'))!);
        const to = Date.parse((await zoomed.getAttribute('data-to'))!);
        // About a tenth of the day, within it, fetched afresh at a finer resolution.
        expect(from).toBeGreaterThan(wide.from);
        expect(to).toBeLessThan(wide.to);
        expect((to - from) / (wide.to - wide.from)).toBeGreaterThan(0.05);
        expect((to - from) / (wide.to - wide.from)).toBeLessThan(0.2);
        expect(Number(requests.at(-1)!.searchParams.get('maxPoints'))).toBe(
          Math.min(720, Math.ceil((to - from) / 10_000)),
        );
        expect(page.url()).toContain(`from=${encodeURIComponent(new Date(from).toISOString())}`);
        // It stays: a resize redraws the chart, not the range.
        await page.setViewportSize({ width: width - 20, height });
        await page.waitForTimeout(300);
        expect(await trendOf(page).getAttribute('data-from')).toBe(new Date(from).toISOString());
        await page.screenshot({
          path: join(SCREENSHOT_ARTIFACTS, `console-trends-zoom-${name}.png`),
          fullPage: true,
        });
        await page.locator('#trend-reset').click();
        await page.locator('figure[data-chart="trend"][data-range="day"]').waitFor();
        expect(await trendOf(page).getAttribute('data-from')).toBe(new Date(wide.from).toISOString());
        expect(await page.locator('#trend-reset').isHidden()).toBe(true);
        expect(page.url()).toContain('range=day');
      } finally {
        await context.close();
      }
    }, 90_000);
  }

  it('ran without page errors or console errors', () => {
    expect(problems).toEqual([]);
  });
});
