import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import type * as Ui from '../cloud/ui/src/types.js';
import type { EarlierSpectraReply, SpectrumSnapshot, Ticket } from '../shared/schema/index.js';
import {
  closeBrowserAndCloud,
  connectGateway,
  launchChromium,
  logInThroughForm,
  newWatchedPage,
  queueShown,
  requireChromium,
} from './helpers/console-browser.js';
import { SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

/* The console's mirror of the earlier-spectra reply must keep fitting what the server sends. */
type Fits<Actual extends Expected, Expected> = [Actual, Expected];
export type _SpectraMessagesFitTheSchema = [Fits<EarlierSpectraReply, Ui.EarlierSpectraReply>];

const PASSWORD = 'console-spectra-password-1';
const HOUR = 3_600_000;
const SHAFT_HZ = 1780 / 60; // 29.67 Hz
const BPFO_HZ = Math.round(3.5848 * SHAFT_HZ * 100) / 100;
/** The opening band: ten orders of running speed (beyond the highest mark ×1.2 = 255 Hz). */
const DEFAULT_MAX_HZ = 10 * SHAFT_HZ;
const FULL_MAX_HZ = 1023;
/** The lighter colour of the earlier spectrum (spectrum-chart.ts), as canvas pixels show it. */
const EARLIER_RGB = [0x8a, 0xa6, 0xcf];

/** A velocity spectrum of 1 Hz lines to 1023 Hz: 1×, 2×, 3× of running speed and BPFO over a floor. */
function velocitySpectrum(oneX: number): SpectrumSnapshot {
  // Each ticket's floor zigzags differently, so the earlier line shows beside this one, not under it.
  const amplitudes = Array.from(
    { length: 1024 },
    (_, i) => 0.01 + 0.06 * Math.abs(Math.sin(i * 1.7 + oneX * 10)),
  );
  const lines: [string, number, number][] = [
    ['1×', SHAFT_HZ, oneX],
    ['2×', 2 * SHAFT_HZ, oneX / 3],
    ['3×', 3 * SHAFT_HZ, oneX / 6],
    ['BPFO', BPFO_HZ, 0.3],
    ['2×BPFO', 2 * BPFO_HZ, 0.15],
  ];
  for (const [, hz, amplitude] of lines) amplitudes[Math.round(hz)] = amplitude;
  return {
    binHz: 1,
    unit: 'mm/s',
    amplitudes: amplitudes.map((a) => Math.round(a * 1e4) / 1e4),
    marks: lines.map(([label, hz]) => ({ label, hz: Math.round(hz * 1e4) / 1e4 })),
  };
}

const envelopeSpectrum = (): SpectrumSnapshot => {
  const amplitudes = Array.from({ length: 400 }, (_, i) => 0.02 + 0.01 * Math.abs(Math.sin(i * 1.3)));
  for (const k of [1, 2, 3]) amplitudes[Math.round(k * BPFO_HZ)] = 0.3 / k;
  return {
    binHz: 1,
    unit: 'g',
    amplitudes,
    marks: [1, 2, 3].map((k) => ({ label: k === 1 ? 'BPFO' : `${k}×BPFO`, hz: k * BPFO_HZ })),
  };
};

interface CanvasPixels {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

describe('readable spectra on the ticket page', () => {
  let cloud: RunningCloud;
  let browser: Browser;
  const now = Date.now();
  const problems: string[] = [];

  const ticketAt = (hoursAgo: number, oneX: number, title: string, channel = 'de'): Ticket =>
    sampleTicket({
      gatewayId: 'gw-plant7',
      site: 'plant7',
      assetId: 'pump-7',
      fault: 'unbalance',
      title,
      firstSeen: new Date(now - hoursAgo * HOUR).toISOString(),
      lastSeen: new Date(now - hoursAgo * HOUR).toISOString(),
      evidence: {
        triggeringValues: [
          { metric: 'order1xMmS', value: oneX, threshold: 1, comparison: '>', unit: 'mm/s' },
        ],
        windowStart: new Date(now - hoursAgo * HOUR).toISOString(),
        windowEnd: new Date(now - hoursAgo * HOUR).toISOString(),
        channel,
        reasoning: [`1× at ${oneX} mm/s`],
        spectrum: velocitySpectrum(oneX),
        envelopeSpectrum: envelopeSpectrum(),
      },
    });
  // Six earlier tickets on the DE channel (the oldest is the baseline beyond the five listed), one on NDE.
  const baseline = ticketAt(24 * 30, 0.3, 'pump-7: baseline survey');
  const earlier = [4, 3, 2, 1.5].map((days, i) =>
    ticketAt(24 * days, 0.4 + 0.05 * i, `pump-7: check ${i + 1}`),
  );
  const previous = ticketAt(24, 0.7, 'pump-7: 1× rising');
  const otherChannel = ticketAt(12, 2.5, 'pump-7: NDE unbalance', 'nde');
  const current = ticketAt(2, 1.2, 'pump-7: unbalance (1× dominant)');

  beforeAll(async () => {
    requireChromium();
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    const gateway = await connectGateway(cloud, 'gw-plant7', ['plant7'], { reportsBacklog: true });
    await cloud.store.access.createUser({
      username: 'ana',
      role: 'engineer',
      sites: 'all',
      password: PASSWORD,
    });
    await gateway.ingest([baseline, ...earlier, previous, otherChannel, current]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(() => closeBrowserAndCloud(browser, cloud), 30_000);

  /** The figure's x range as it says it (data-x-min/max, in its axis unit). */
  const xRange = async (figure: Locator) =>
    [
      Number(await figure.getAttribute('data-x-min')),
      Number(await figure.getAttribute('data-x-max')),
    ] as const;
  /** The plot area in the viewport, scrolled into it first (the mouse reaches only what is on screen). */
  const overBox = async (figure: Locator) => {
    await figure.locator('.u-over').scrollIntoViewIfNeeded();
    return (await figure.locator('.u-over').boundingBox())!;
  };
  /** Where a label's centre sits across the plot, 0 (left edge) to 1 (right edge). */
  const across = async (figure: Locator, label: Locator) => {
    const plot = await overBox(figure);
    const box = (await label.boundingBox())!;
    return (box.x + box.width / 2 - plot.x) / plot.width;
  };
  /** Canvas pixels within a few levels of the earlier spectrum's colour. */
  const earlierPixels = (figure: Locator) =>
    figure.locator('canvas').evaluate((element, rgb: number[]) => {
      // The root build has no DOM types: the little of a canvas read here, spelled out.
      const canvas = element as unknown as CanvasPixels;
      const ctx = canvas.getContext('2d');
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          Math.abs(data[i]! - rgb[0]!) + Math.abs(data[i + 1]! - rgb[1]!) + Math.abs(data[i + 2]! - rgb[2]!) <
          24
        )
          count++;
      }
      return count;
    }, EARLIER_RGB);

  const openTicket = async (page: Page) => {
    await logInThroughForm(page, cloud.url, { username: 'ana', password: PASSWORD }, queueShown);
    await page.goto(`${cloud.url}/#/tickets/${current.id}`);
    const figure = page.locator('figure[data-chart="spectrum"]');
    await figure.locator('.uplot canvas').waitFor();
    // The overlay arrives with the earlier spectra.
    await expect.poll(() => figure.getAttribute('data-overlay')).toBe(previous.id);
    return figure;
  };

  describe.each(VIEWPORTS)('at $name width', ({ name, viewport }) => {
    let page: Page;

    beforeAll(async () => {
      page = await newWatchedPage(browser, { viewport }, problems, { label: name });
    }, 30_000);

    afterAll(async () => {
      await page?.context().close();
    });

    it('opens on the band that matters, with the previous ticket laid under in a lighter colour', async () => {
      const figure = await openTicket(page);
      const [min, max] = await xRange(figure);
      expect(min).toBe(0);
      expect(max).toBeCloseTo(DEFAULT_MAX_HZ, 1);
      // 1× sits a tenth of the way across, not crowded into the first thirtieth of 0–1023 Hz.
      const oneX = figure.locator('.spectrum-mark', { hasText: /^1×$/ });
      expect(await across(figure, oneX)).toBeCloseTo(SHAFT_HZ / DEFAULT_MAX_HZ, 1);
      expect(await figure.getAttribute('data-x-unit')).toBe('Hz');
      // The y scale follows the 1.2 mm/s line, not some far larger value.
      expect(Number(await figure.getAttribute('data-y-max'))).toBeCloseTo(1.2 * 1.3, 2);

      // Overlay: drawn, in the legend and named below, and the other channel's ticket is not offered.
      await expect.poll(() => earlierPixels(figure)).toBeGreaterThan(100);
      const legend = await figure.locator('.u-legend .u-label').allTextContents();
      expect(legend).toContain('Previous ticket (lighter)');
      expect(legend).toContain('This ticket');
      expect(await figure.locator('.overlay-note a').getAttribute('href')).toBe(`#/tickets/${previous.id}`);
      const choices = await figure.locator('.chart-controls select option').allTextContents();
      expect(choices).toHaveLength(1 + 5 + 1); // nothing, five newest, the baseline
      expect(choices.at(-1)).toContain(baseline.title);
      expect(choices.join('\n')).not.toContain(otherChannel.title);
      await page.screenshot({
        path: join(SCREENSHOT_ARTIFACTS, `console-spectra-${name}.png`),
        fullPage: true,
      });

      await figure.locator('.chart-controls select').selectOption({ index: choices.length - 1 });
      await expect.poll(() => figure.getAttribute('data-overlay')).toBe(baseline.id);
      await figure.locator('.chart-controls select').selectOption('-1');
      await expect.poll(() => figure.getAttribute('data-overlay')).toBe(null);
      await expect.poll(() => earlierPixels(figure)).toBe(0);
      await figure.locator('.chart-controls select').selectOption({ index: 1 });
      await expect.poll(() => figure.getAttribute('data-overlay')).toBe(previous.id);
    }, 60_000);

    it('keeps a dragged zoom, pans, resets by button and by double-click, shows the full range', async () => {
      const figure = page.locator('figure[data-chart="spectrum"]');
      const plot = await overBox(figure);
      const y = plot.y + plot.height / 2;
      await page.mouse.move(plot.x + 0.2 * plot.width, y);
      await page.mouse.down();
      await page.mouse.move(plot.x + 0.35 * plot.width, y, { steps: 5 });
      await page.mouse.move(plot.x + 0.5 * plot.width, y, { steps: 5 });
      await page.mouse.up();
      const [min, max] = await xRange(figure);
      expect(min).toBeCloseTo(0.2 * DEFAULT_MAX_HZ, -1);
      expect(max).toBeCloseTo(0.5 * DEFAULT_MAX_HZ, -1);
      // It stays: after a resize redraws the chart and the pointer moves on.
      await page.setViewportSize({ width: viewport.width - 20, height: viewport.height });
      await page.mouse.move(plot.x + 0.8 * plot.width, y);
      await page.waitForTimeout(300);
      expect(await xRange(figure)).toEqual([min, max]);
      await page.setViewportSize(viewport);

      await figure.getByRole('button', { name: /higher frequencies/ }).click();
      const [pannedMin, pannedMax] = await xRange(figure);
      expect(pannedMin).toBeCloseTo(min + (max - min) / 2, 1);
      expect(pannedMax - pannedMin).toBeCloseTo(max - min, 1);

      await figure.getByRole('button', { name: /Reset the spectrum zoom/ }).click();
      expect(await xRange(figure)).toEqual([0, Number(DEFAULT_MAX_HZ.toPrecision(6))]);
      expect(await figure.getByRole('button', { name: /Reset the spectrum zoom/ }).isDisabled()).toBe(true);

      await figure.getByRole('button', { name: /full range/ }).click();
      expect(await xRange(figure)).toEqual([0, FULL_MAX_HZ]);
      await page.mouse.dblclick(plot.x + plot.width / 2, y);
      await expect.poll(async () => (await xRange(figure))[1]).toBeCloseTo(DEFAULT_MAX_HZ, 1);
      // A double-click's own clicks leave no harmonic cursors behind.
      expect(await figure.locator('.harmonic-list li').count()).toBe(0);
    }, 60_000);

    it('switches to a log amplitude axis and back', async () => {
      const figure = page.locator('figure[data-chart="spectrum"]');
      expect(await figure.getAttribute('data-y-scale')).toBe('linear');
      expect(Number(await figure.getAttribute('data-y-min'))).toBe(0);
      await figure.getByLabel('Log amplitude').check();
      await expect.poll(() => figure.getAttribute('data-y-scale')).toBe('log');
      const low = Number(await figure.getAttribute('data-y-min'));
      const high = Number(await figure.getAttribute('data-y-max'));
      expect(low).toBeGreaterThan(0);
      expect(high / low).toBeGreaterThanOrEqual(1e3); // decades: the floor and the lines both readable
      expect(await xRange(figure)).toEqual([0, Number(DEFAULT_MAX_HZ.toPrecision(6))]); // the view survives
      await figure.screenshot({ path: join(SCREENSHOT_ARTIFACTS, `console-spectra-log-${name}.png`) });
      await figure.getByLabel('Log amplitude').uncheck();
      await expect.poll(() => figure.getAttribute('data-y-scale')).toBe('linear');
    }, 60_000);

    it('puts x in orders of running speed: 1× at 1, the band up to 10', async () => {
      const figure = page.locator('figure[data-chart="spectrum"]');
      await figure.getByLabel('Orders').check();
      await expect.poll(() => figure.getAttribute('data-x-unit')).toBe('order');
      expect(await figure.getAttribute('data-x-label')).toBe('Order (× running speed)');
      const [min, max] = await xRange(figure);
      expect(min).toBe(0);
      expect(max).toBeCloseTo(10, 3);
      for (const [label, order] of [
        ['1×', 1],
        ['2×', 2],
        ['BPFO', 3.5848],
      ] as const) {
        const mark = figure.locator('.spectrum-mark', { hasText: new RegExp(`^${label}$`) });
        expect(await across(figure, mark)).toBeCloseTo((order - min) / (max - min), 1);
      }
      // The envelope, which has no 1× of its own, takes the running speed from the spectrum.
      const envelope = page.locator('figure[data-chart="envelope"]');
      expect(await envelope.getByLabel('Orders').isEnabled()).toBe(true);
      await figure.screenshot({ path: join(SCREENSHOT_ARTIFACTS, `console-spectra-orders-${name}.png`) });
      await figure.getByLabel('Orders').uncheck();
      await expect.poll(() => figure.getAttribute('data-x-unit')).toBe('Hz');
    }, 60_000);

    it('sets harmonic cursors at 1×…10× of a clicked line; Esc and Clear remove them', async () => {
      const figure = page.locator('figure[data-chart="spectrum"]');
      const plot = await overBox(figure);
      // A click a few pixels beside the 1× line lands on it.
      const x = plot.x + (SHAFT_HZ / DEFAULT_MAX_HZ) * plot.width + 2;
      await page.mouse.click(x, plot.y + plot.height * 0.6);
      const items = figure.locator('.harmonic-list li');
      await expect.poll(() => items.count()).toBe(10);
      const fundamental = Number(await figure.getAttribute('data-cursor-hz'));
      expect(fundamental).toBeCloseTo(SHAFT_HZ, 3); // the 1× mark's own frequency, not its 1 Hz bin's
      const listed = (await items.evaluateAll((lis) =>
        lis.map((li) => Number(li.getAttribute('data-hz'))),
      )) as number[];
      listed.forEach((hz, i) => expect(hz).toBeCloseTo((i + 1) * fundamental, 3));
      expect(await items.nth(2).textContent()).toBe('3× 89 Hz (3 orders)');
      // Drawn where they belong: the 3rd cursor's tick at 3f across the plot; the zoom did not move.
      const third = figure.locator('.harmonic-cursor').nth(2);
      expect(await across(figure, third)).toBeCloseTo((3 * fundamental) / DEFAULT_MAX_HZ, 2);
      expect((await xRange(figure))[1]).toBeCloseTo(DEFAULT_MAX_HZ, 1);
      await figure.screenshot({ path: join(SCREENSHOT_ARTIFACTS, `console-spectra-cursors-${name}.png`) });
      await page.keyboard.press('Escape');
      await expect.poll(() => items.count()).toBe(0);
      expect(await figure.locator('.harmonic-cursor').count()).toBe(0);

      // From the keyboard: a mark's "harmonics" button, then Clear cursors.
      await figure.getByRole('button', { name: /^Harmonic cursors at BPFO/ }).click();
      await expect.poll(() => items.count()).toBe(10);
      expect(Number(await figure.getAttribute('data-cursor-hz'))).toBeCloseTo(BPFO_HZ, 3);
      await figure.getByRole('button', { name: 'Clear cursors' }).click();
      await expect.poll(() => items.count()).toBe(0);
    }, 60_000);
  });

  it('raised no console errors or policy violations', () => {
    expect(problems).toEqual([]);
  });
});
