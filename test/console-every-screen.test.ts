import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import type { OutboxEvent, Ticket } from '../shared/schema/index.js';
import { SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { removeTempDirs, startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';

const CHROMIUM = '/usr/bin/chromium';
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
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no browser at ${CHROMIUM}: this test needs Debian's Chromium (apt-get install chromium)`,
      );
    }
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    const gatewayToken = await cloud.store.access.createGatewayToken('gw-1', { sites: ['plant7'] });
    await cloud.store.access.createUser({
      username: 'root',
      role: 'admin',
      sites: 'all',
      password: PASSWORD,
    });
    const ticket = sampleTicket({ gatewayId: 'gw-1', site: 'plant7', assetId: 'pump-1' }) as Ticket;
    ticketId = ticket.id;
    const event: OutboxEvent = {
      gatewayId: 'gw-1',
      seq: 1,
      type: 'ticket.opened',
      at: new Date().toISOString(),
      ticket,
    };
    const response = await fetch(`${cloud.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gatewayToken}` },
      body: JSON.stringify({ gatewayId: 'gw-1', events: [event] }),
    });
    expect(response.status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cloud?.stop();
    removeTempDirs();
  });

  const logIn = async (page: Page) => {
    await page.goto(`${cloud.url}/`);
    await page.locator('#login-username').fill('root');
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#session-user', { hasText: 'root · admin' }).waitFor();
  };

  for (const [width, options] of Object.entries(WIDTHS)) {
    it(`renders each screen with its heading and no sideways scroll (${width})`, async () => {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (error) => problems.push(`${width}: page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`${width}: console: ${message.text()}`);
      });
      try {
        await logIn(page);
        for (const [name, hash, heading] of screens()) {
          await page.goto(`${cloud.url}/${hash}`);
          const h1 = page.locator('main h1').first();
          await expect
            .poll(async () => (await h1.textContent())?.trim() ?? '', { timeout: 15_000 })
            .toMatch(heading);
          // Let the screen's data arrive before measuring: nothing says "Loading…" any more.
          await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 15_000 }).toBe(0);
          const sideways = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
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
        await context.close();
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }
});
