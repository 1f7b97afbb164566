import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfig } from '../cloud/config/cloud-config.js';
import type { UserNotificationPreferences } from '../cloud/notify/notify-config.js';
import type { RoutingConfig } from '../cloud/routing/routing-config.js';
import type { RunningCloud } from '../cloud/server.js';
import type * as Ui from '../cloud/ui/src/types.js';
import { ManualClock } from '../cloud/clock.js';
import {
  bounded,
  closeBrowserAndCloud,
  launchChromium,
  logInThroughForm,
  requireChromium,
  watchPage,
} from './helpers/console-browser.js';
import { keepScreenshot, SCREENSHOT_ARTIFACTS } from './helpers/screenshots.js';
import { type SmtpSink, startSmtpSink } from './helpers/smtp-sink.js';
import { startTestCloud } from './helpers/stack.js';
import { openTicket } from './helpers/tickets.js';

/* What the on-call and notifications screens read and send must keep fitting the server's types. */
type Fits<Actual extends Expected, Expected> = [Actual, Expected];
export type _IntegrationMessagesFitTheSchema = [
  Fits<RoutingConfig, Ui.RoutingConfig>,
  Fits<UserNotificationPreferences, Ui.NotificationPreferences>,
  Fits<Ui.NotificationPreferences, UserNotificationPreferences>,
];

const ARTIFACTS = SCREENSHOT_ARTIFACTS;
const PASSWORD = 'console-integrations-password-1';
// Tuesday 09:00 in Berlin (CET): the 06:00–14:00 shift of alice and bob is on.
const TUESDAY_MORNING_BERLIN = Date.parse('2026-11-24T08:00:00Z');

describe('web console: on-call and notifications in a real browser', () => {
  let cloud: RunningCloud;
  let sink: SmtpSink;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const clock = new ManualClock(TUESDAY_MORNING_BERLIN);

  // The refused save of the 400 test is logged by Chromium as a failed load: that one is expected.
  const watch = (target: Page) => watchPage(target, problems, { expectedStatus: 400 });

  const logIn = (target: Page, username: string) =>
    logInThroughForm(target, cloud.url, { username, password: PASSWORD }, () =>
      expect.poll(() => target.locator('#session-user').textContent()).toMatch(new RegExp(`^${username} · `)),
    );

  // A string, evaluated in the page: the test's own lib has no DOM.
  const sessionToken = (target: Page) =>
    target.evaluate<string>("JSON.parse(sessionStorage.getItem('plantwatch.session') || '{}').token || ''");

  beforeAll(async () => {
    requireChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    sink = await startSmtpSink();
    const config: CloudConfig = {
      publicUrl: 'https://plantwatch.plant.example',
      routing: {
        engineers: {
          alice: { skills: ['bearings', 'vibration'] },
          bob: { skills: ['vibration'] },
          dave: { skills: ['bearings', 'vibration'] },
        },
        assetGroups: { pumps: ['pump-*'] },
        sites: {
          'site-a': {
            timezone: 'Europe/Berlin',
            lead: 'dave',
            onCall: [
              {
                days: ['mon', 'tue', 'wed', 'thu', 'fri'],
                from: '06:00',
                to: '14:00',
                engineers: ['alice', 'bob'],
              },
              { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '14:00', to: '22:00', engineers: ['bob'] },
              {
                days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
                from: '22:00',
                to: '06:00',
                engineers: ['dave'],
              },
            ],
          },
        },
        rules: [
          {
            name: 'bearing faults on pumps',
            site: 'site-a',
            assetGroup: 'pumps',
            faults: ['outer_race', 'inner_race', 'rolling_element', 'cage'],
            skill: 'bearings',
          },
          { name: 'everything else', skill: 'vibration' },
        ],
      },
      notifications: {
        smtp: { host: sink.host, port: sink.port, secure: false, from: 'Plantwatch <pw@plant.example>' },
      },
    };
    cloud = await startTestCloud({ config, clock });
    for (const username of ['alice', 'bob', 'dave', 'erin']) {
      await cloud.store.access.createUser({ username, role: 'engineer', sites: 'all', password: PASSWORD });
    }
    await cloud.store.access.createUser({ username: 'ada', role: 'admin', sites: 'all', password: PASSWORD });
    await cloud.store.access.createUser({
      username: 'vic',
      role: 'viewer',
      sites: ['site-a'],
      password: PASSWORD,
    });

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 60_000);

  afterAll(
    () => closeBrowserAndCloud(browser, cloud, ['stopping the SMTP sink', () => sink?.close()]),
    30_000,
  );

  it("shows an engineer who is on call now by the cloud's clock, the week, the lead and the rules", async () => {
    await logIn(page, 'erin');
    await page.getByRole('link', { name: 'On-call' }).click();
    const site = page.locator('.on-call-site[data-site="site-a"]');
    await site.waitFor();
    expect(await page.getByRole('link', { name: 'On-call' }).getAttribute('aria-current')).toBe('page');
    expect(await site.locator('h2').textContent()).toBe('site-a');
    expect(await site.locator('.local-time').textContent()).toBe('Tue 09:00 Europe/Berlin');
    expect(await site.locator('.on-call-now li strong').allTextContents()).toEqual(['alice', 'bob']);
    expect(await site.locator('.on-call-now .shift-label').allTextContents()).toEqual([
      'Tue 06:00–14:00 Europe/Berlin',
      'Tue 06:00–14:00 Europe/Berlin',
    ]);
    expect(await site.locator('.site-lead').textContent()).toBe('dave');

    // The week: three shift windows by seven days, the running one (Tue morning) and only it highlighted.
    const grid = site.locator('table.week-grid');
    expect(await grid.locator('tbody th').allTextContents()).toEqual([
      '06:00–14:00',
      '14:00–22:00',
      '22:00–06:00',
    ]);
    const current = grid.locator('td.current-shift');
    expect(await current.count()).toBe(1);
    expect(await current.getAttribute('data-day')).toBe('tue');
    expect(await current.getAttribute('data-shift')).toBe('06:00–14:00');
    expect(await current.getAttribute('aria-current')).toBe('time');
    expect(await current.locator('li').allTextContents()).toEqual(['alice', 'bob']);
    expect(await grid.locator('td[data-day="sat"][data-shift="06:00–14:00"]').textContent()).toBe('–');
    expect(await grid.locator('td[data-day="sun"][data-shift="22:00–06:00"] li').allTextContents()).toEqual([
      'dave',
    ]);

    // The rules, first match wins.
    const rules = page.locator('table.routing-rules tbody tr');
    expect(await rules.count()).toBe(2);
    expect(await rules.nth(0).locator('td, th').allTextContents()).toEqual([
      '1',
      'bearing faults on pumps',
      'site-a',
      'pumps',
      'outer_race, inner_race, rolling_element, cage',
      'any',
      'bearings',
    ]);
    expect(await rules.nth(1).locator('th').textContent()).toBe('everything else');

    await page.screenshot({ path: join(ARTIFACTS, 'console-on-call.png'), fullPage: true });
    keepScreenshot('console-on-call.png', 'on-call.png');
  }, 30_000);

  it('gives a viewer no On-call link, but their notifications', async () => {
    const viewerContext = await browser.newContext({ viewport: { width: 820, height: 1180 } }); // a portrait tablet
    try {
      const viewer = await viewerContext.newPage();
      watch(viewer);
      await logIn(viewer, 'vic');
      expect(await viewer.getByRole('link', { name: 'On-call' }).count()).toBe(0);
      await viewer.getByRole('link', { name: 'Notifications' }).click();
      await viewer.locator('.preferences-form').waitFor();
      expect(await viewer.locator('#preferences-heading').textContent()).toBe('My preferences');
      await viewer.getByRole('button', { name: 'Add channel' }).click();
      await viewer.getByLabel('Kind').selectOption('webhook');
      expect(await viewer.getByLabel('Webhook URL').count()).toBe(1);
      expect(await viewer.getByLabel('Signing secret (optional)').isVisible()).toBe(true);
      await viewer.screenshot({ path: join(ARTIFACTS, 'console-notifications-tablet.png'), fullPage: true });
    } finally {
      await viewerContext.close();
    }
  }, 30_000);

  it('saves email with a minimum severity, quiet hours and a digest, kept after a reload', async () => {
    await page.getByRole('link', { name: 'Notifications' }).click();
    const form = page.locator('.preferences-form');
    await form.waitFor();
    expect(await form.locator('.channel-row').count()).toBe(0);
    await page.getByRole('button', { name: 'Add channel' }).click();
    // Every control is found by its label.
    await page.getByLabel('Kind').selectOption('email');
    await page.getByLabel('Email address').fill('erin@plant.example');
    await page.getByLabel('Minimum severity').selectOption('high');
    await page.getByLabel('Watch').selectOption('mine');
    await page.getByLabel('From', { exact: true }).fill('22:00');
    await page.getByLabel('To', { exact: true }).fill('06:00');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByLabel('low', { exact: true }).check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await expect
      .poll(() => page.locator('.form-status').textContent())
      .toBe("Saved erin's notification preferences.");
    expect(await page.locator('.preferences-form .form-error').isHidden()).toBe(true);

    await page.reload();
    await form.waitFor();
    expect(await form.locator('.channel-row').count()).toBe(1);
    expect(await page.getByLabel('Kind').inputValue()).toBe('email');
    expect(await page.getByLabel('Email address').inputValue()).toBe('erin@plant.example');
    expect(await page.getByLabel('Minimum severity').inputValue()).toBe('high');
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe('22:00');
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe('06:00');
    expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/Berlin');
    expect(await page.getByLabel('low', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('high', { exact: true }).isChecked()).toBe(false);

    const response = await fetch(`${cloud.url}/api/v1/users/erin/notifications`, {
      headers: { authorization: `Bearer ${await sessionToken(page)}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      username: 'erin',
      source: 'api',
      preferences: {
        channels: [{ kind: 'email', to: 'erin@plant.example', minSeverity: 'high' }],
        watch: 'mine',
        quietHours: { from: '22:00', to: '06:00', timezone: 'Europe/Berlin' },
        digest: ['low'],
      },
    });
  }, 30_000);

  it("shows the server's 400 next to the form for an invalid address, and saves nothing", async () => {
    await page.getByLabel('Email address').fill('not-an-email');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    const alert = page.locator('.preferences-form [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Not saved: body\/channels\/0/);
    expect(await page.locator('.form-status').textContent()).toBe('');
    expect((await cloud.modules.notifications.store.preferences('erin'))?.preferences.channels).toEqual([
      { kind: 'email', to: 'erin@plant.example', minSeverity: 'high' },
    ]);
  }, 30_000);

  it('lists the notification sent when a ticket is assigned to the user', async () => {
    const ticket = await openTicket(cloud.store, {
      gatewayId: 'gw-site-a',
      site: 'site-a',
      assetId: 'fan-4',
      fault: 'unbalance',
      severity: 'high',
      title: 'fan-4: unbalance at 1× running speed',
    });
    await cloud.modules.idle();
    expect('ok' in (await cloud.store.review.assign(ticket.id, 'admin', { assignee: 'erin' }))).toBe(true);
    await cloud.modules.idle();
    await cloud.modules.notifications.deliverDue();
    expect(sink.messages.filter((m) => m.to.includes('erin@plant.example'))).toHaveLength(1);

    await page.reload();
    const row = page.locator(`table.notifications tbody tr[data-ticket="${ticket.id}"]`);
    await row.waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.getAttribute('data-status')).toBe('sent');
    const link = row.getByRole('link', { name: ticket.title });
    expect(await link.getAttribute('href')).toBe(`#/tickets/${ticket.id}`);
    expect(await row.locator('.notification-channel').textContent()).toBe('email:erin@plant.example');
    expect(await row.locator('.notification-status').textContent()).toBe('sent');
    expect(await row.locator('.notification-state').textContent()).not.toBe('');
    expect(await row.locator('.notification-error').textContent()).toBe('');

    await page.screenshot({ path: join(ARTIFACTS, 'console-notifications.png'), fullPage: true });
    keepScreenshot('console-notifications.png', 'notifications.png');

    await link.click();
    await expect.poll(() => page.locator('#ticket-title').textContent()).toBe(ticket.title);
  }, 30_000);

  it('reaches the form by keyboard: Tab moves through the labelled controls, in order', async () => {
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.locator('.preferences-form').waitFor();
    await page.getByLabel('Kind').focus();
    const focused = async () =>
      page.evaluate<string>(
        "(() => { const e = document.activeElement; const l = e && e.id ? document.querySelector('label[for=\"' + e.id + '\"]') : null; return l ? l.textContent : (e ? e.textContent : '') })()",
      );
    const seen = [await focused()];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      seen.push(await focused());
    }
    expect(seen).toEqual(['Kind', 'Email address', 'Minimum severity', 'Remove channel 1', 'Add channel']);
    // The focus ring is drawn (:focus-visible after keyboard use).
    expect(await page.evaluate<boolean>("document.activeElement.matches(':focus-visible')")).toBe(true);
  }, 30_000);

  it("lets an admin open someone else's preferences with ?user=", async () => {
    const adminContext = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    try {
      const admin = await adminContext.newPage();
      watch(admin);
      await logIn(admin, 'ada');
      await admin.goto(`${cloud.url}/#/notifications?user=erin`);
      await admin.locator('.preferences-form').waitFor();
      expect(await admin.locator('#preferences-heading').textContent()).toBe('Preferences of erin');
      expect(await admin.getByLabel('Email address').inputValue()).toBe('erin@plant.example');
      expect(await admin.locator('table.notifications tbody tr').count()).toBe(1);
      await admin.getByLabel('User').fill('alice');
      await admin.getByRole('button', { name: 'Show' }).click();
      await expect
        .poll(() => admin.locator('#preferences-heading').textContent())
        .toBe('Preferences of alice');
      expect(await admin.locator('.preferences-form .channel-row').count()).toBe(0);
    } finally {
      await adminContext.close();
    }
  }, 30_000);

  it('says how to configure routing when there is none', async () => {
    const bare = await startTestCloud({ clock });
    const bareContext = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      await bare.store.access.createUser({
        username: 'erin',
        role: 'engineer',
        sites: 'all',
        password: PASSWORD,
      });
      const other = await bareContext.newPage();
      watch(other);
      // Nothing to wait for: the On-call link below appears once logged in.
      await logInThroughForm(other, bare.url, { username: 'erin', password: PASSWORD }, async () => {});
      await other.getByRole('link', { name: 'On-call' }).click();
      const note = other.locator('.not-configured');
      await note.waitFor();
      expect(await note.textContent()).toContain('No routing is configured');
      expect(await note.textContent()).toContain('--config cloud.yaml');
      expect(await note.textContent()).toContain('PUT /api/v1/routing');
      expect(await other.locator('.on-call-site').count()).toBe(0);
    } finally {
      await bareContext.close();
      await bounded('stopping the second cloud', bare.stop());
    }
  }, 30_000);

  it('ran without page errors, console errors or policy violations', () => {
    expect(problems).toEqual([]);
  });
});
