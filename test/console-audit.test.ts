import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import type * as Ui from '../cloud/ui/src/types.js';
import type { AdminAuditEntry, AdminAuditPage } from '../shared/schema/index.js';
import {
  closeBrowserAndCloud,
  launchChromium,
  logInThroughForm,
  newWatchedPage,
  requireChromium,
} from './helpers/console-browser.js';
import { SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { startTestCloud } from './helpers/stack.js';

// The console's types cannot import the schema: this fails `tsc` when the two drift apart.
type Fits<Actual extends Expected, Expected> = [Actual, Expected];
export type _AuditMessagesFitTheSchema = [
  Fits<AdminAuditEntry, Ui.AdminAuditEntry>,
  Fits<AdminAuditPage, Ui.AdminAuditPage>,
];

const PASSWORD = 'console-audit-password-1';
// Markup in text people type: must show as these characters, never become an element or run.
const EVIL = '<img src=x onerror="window.__pwned=1">';

describe('console audit log screen in a real browser', () => {
  let cloud: RunningCloud;
  let browser: Browser;
  const problems: string[] = [];

  const api = async (token: string, method: string, path: string, body: unknown) => {
    const response = await fetch(`${cloud.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    expect(response.status, text).toBeLessThan(300);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  const logIn = async (username: string): Promise<Page> => {
    const page = await newWatchedPage(browser, { viewport: { width: 1366, height: 900 } }, problems);
    await logInThroughForm(page, cloud.url, { username, password: PASSWORD });
    return page;
  };

  beforeAll(async () => {
    requireChromium();
    mkdirSync(SCREENSHOT_ARTIFACTS, { recursive: true });
    cloud = await startTestCloud();
    const { access } = cloud.store;
    await access.createUser({ username: 'ada', role: 'admin', sites: 'all', password: PASSWORD });
    await access.createUser({ username: 'ana', role: 'engineer', sites: 'all', password: PASSWORD });
    const adminToken = await access.createApiToken('ada', 'test');
    await api(adminToken, 'POST', '/api/v1/users', { username: 'ben', role: 'viewer', sites: ['plant7'] });
    await api(adminToken, 'PATCH', '/api/v1/users/ben', { role: 'engineer' });
    await api(adminToken, 'POST', '/api/v1/webhooks', {
      url: 'http://127.0.0.1:9/erp',
      description: EVIL,
    });
    browser = await launchChromium();
  });

  afterAll(() => closeBrowserAndCloud(browser, cloud), 30_000);

  it('lists the changes with a compact diff, shows markup as text and runs none of it', async () => {
    const page = await logIn('ada');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.locator('table.audit-table tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual([
      'webhook.create',
      'user.role_change',
      'user.create',
    ]);
    expect(await rows.locator('td.audit-actor').allTextContents()).toEqual(['ada', 'ada', 'ada']);
    // The role change as one line: role: "viewer" → "engineer".
    expect(await rows.nth(1).locator('ul.audit-diff li').allTextContents()).toEqual([
      'role: "viewer" → "engineer"',
    ]);
    const webhook = rows.nth(0);
    expect(await webhook.locator('ul.audit-diff').textContent()).toContain(
      `description: ${JSON.stringify(EVIL)}`,
    );
    expect(await webhook.locator('ul.audit-diff').textContent()).toContain('secret: "********"');
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();

    await page.screenshot({ path: join(SCREENSHOT_ARTIFACTS, 'audit.png'), fullPage: true });

    // Filters: an action prefix, mirrored in the URL.
    await page.getByLabel('Action').fill('user.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(page.url()).toContain('action=user.');
    await page.getByLabel('Target').fill('user:nobody');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No administrative change matches.').waitFor();
    expect(problems).toEqual([]);
  });

  it('gives engineers no link, and the screen tells them it is for admins', async () => {
    const page = await logIn('ana');
    await page.locator('table.queue, .empty').first().waitFor();
    expect(await page.getByRole('link', { name: 'Audit log' }).isVisible()).toBe(false);
    await page.goto(`${cloud.url}/#/audit`);
    await page.getByText('The audit log is for admins.').waitFor();
    expect(problems).toEqual([]);
  });
});
