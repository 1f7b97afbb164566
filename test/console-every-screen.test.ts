import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import type { Ticket } from '../shared/schema/index.js';
import {
  closeBrowserAndCloud,
  connectGateway,
  launchChromium,
  logInThroughForm,
  newWatchedPage,
  requireChromium,
  sidewaysScroll,
} from './helpers/console-browser.js';
import { SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

const PASSWORD = 'every-screen-password-1';
const WIDTHS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/**
 * Every screen of the console, as an admin, at a laptop's and a phone's width: it renders its
 * heading, never scrolls the page sideways, logs no error, and leaves a screenshot a person can
 * look at (test/artifacts/screen-<name>-<width>.png). Each screen's behaviour is tested in its own
 * file; this one keeps a new screen from going without a phone layout.
 */
describe('every console screen at desktop and phone width', () => {
  let cloud: RunningCloud;
  let browser: Browser;
  let ticketId = '';
  const problems: string[] = [];

  const screens = (): [name: string, hash: string, heading: RegExp][] => [
    ['plant', '#/plant', /^Plant/],
    ['queue', '#/queue', /^Ticket queue$/],
    ['ticket', `#/tickets/${ticketId}`, /pump-1/],
    ['asset', '#/assets/pump-1', /pump-1/],
    ['rules', '#/rules', /^Rule track record$/],
    ['reports', '#/reports', /^Reports$/],
    ['gateways', '#/gateways', /^Gateways$/],
    ['on-call', '#/on-call', /^On-call$/],
    ['notifications', '#/notifications', /Notifications/],
    ['audit', '#/audit', /^Audit log$/],
    ['not-found', '#/no-such-screen', /^Page not found$/],
  ];

  beforeAll(async () => {
    requireChromium();
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    const gateway = await connectGateway(cloud, 'gw-1', ['plant7']);
    await cloud.store.access.createUser({
      username: 'root',
      role: 'admin',
      sites: 'all',
      password: PASSWORD,
    });
    const ticket = sampleTicket({ gatewayId: 'gw-1', site: 'plant7', assetId: 'pump-1' }) as Ticket;
    ticketId = ticket.id;
    await gateway.ingest([ticket]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(() => closeBrowserAndCloud(browser, cloud), 30_000);

  for (const [width, options] of Object.entries(WIDTHS)) {
    it(`renders each screen with its heading and no sideways scroll (${width})`, async () => {
      const page = await newWatchedPage(browser, options, problems, { label: width, timeoutMs: 15_000 });
      try {
        await logInThroughForm(page, cloud.url, { username: 'root', password: PASSWORD, role: 'admin' });
        for (const [name, hash, heading] of screens()) {
          await page.goto(`${cloud.url}/${hash}`);
          const h1 = page.locator('main h1').first();
          await expect
            .poll(async () => (await h1.textContent())?.trim() ?? '', { timeout: 15_000 })
            .toMatch(heading);
          // Let the screen's data arrive before measuring: nothing says "Loading…" any more.
          await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 15_000 }).toBe(0);
          const sideways = await sidewaysScroll(page);
          expect(sideways, `${name} at ${width} scrolls sideways by ${sideways} px`).toBeLessThanOrEqual(0);
          await page.screenshot({
            path: join(SCREENSHOT_ARTIFACTS, `screen-${name}-${width}.png`),
            fullPage: true,
          });
        }
        // The not-found page leads back somewhere.
        await page.goto(`${cloud.url}/#/no-such-screen`);
        await page.getByRole('link', { name: 'plant overview' }).click();
        await expect.poll(() => page.locator('main h1').first().textContent()).toMatch(/^Plant/);
      } finally {
        await page.context().close();
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }
});
