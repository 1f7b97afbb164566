import { existsSync } from 'node:fs';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RunningCloud } from '../../cloud/server.js';
import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';
import type { TelemetryPoint } from '../../shared/schema/telemetry.js';
import { removeTempDirs } from './stack.js';

/*
 * What the console's browser tests (test/console*.test.ts) share: Debian's Chromium, a watch on
 * each page for errors, the log-in form, and a gateway that seeds the cloud through the real
 * ingest route. Each test file still says what it checks; this file only says how to get there.
 */

/** Debian's Chromium: playwright-core drives a browser it does not download. */
export const CHROMIUM = '/usr/bin/chromium';

/** Fails with the way to fix it, rather than with playwright's launch error, when the browser is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no browser at ${CHROMIUM}: this test needs Debian's Chromium (apt-get install chromium)`,
    );
  }
}

/** Chromium headless; no sandbox and no GPU, as neither exists in a container or on CI. */
export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
    timeout: 20_000,
  });
}

/** Rejects when `work` takes over `ms`, so a browser or server that will not stop fails the run with a reason. */
export const bounded = <T>(what: string, work: Promise<T> | undefined, ms = 12_000): Promise<T | undefined> =>
  Promise.race([
    Promise.resolve(work),
    new Promise<never>((_resolve, reject) => {
      setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms).unref();
    }),
  ]);

/**
 * For afterAll: closes the browser, stops the cloud and then anything else given, each bounded and
 * each attempted even when an earlier one failed; removes the temporary directories; then throws
 * the first failure.
 */
export async function closeBrowserAndCloud(
  browser: Browser | undefined,
  cloud: RunningCloud | undefined,
  ...more: [what: string, stop: () => Promise<unknown> | undefined][]
): Promise<void> {
  const steps: [string, () => Promise<unknown> | undefined][] = [
    ['closing Chromium', () => browser?.close()],
    ['stopping the cloud', () => cloud?.stop()],
    ...more,
  ];
  const failures: unknown[] = [];
  for (const [what, stop] of steps) {
    await bounded(what, stop()).catch((error: unknown) => failures.push(error));
  }
  removeTempDirs();
  if (failures.length) throw failures[0];
}

export interface PageWatch {
  /** Playwright's default wait for this page, in ms. */
  timeoutMs?: number;
  /** Put before each problem, to tell pages apart (a width, a viewport's name). */
  label?: string;
  /**
   * An HTTP status a test provokes on purpose: Chromium logs the refused request as a console
   * error ("status of 404"), which is then not a problem.
   */
  expectedStatus?: number;
}

/**
 * Collects the page's uncaught errors and console errors into `problems` (a Content Security
 * Policy violation is a console error too), so a test can end with `expect(problems).toEqual([])`.
 */
export function watchPage(page: Page, problems: string[], watch: PageWatch = {}): Page {
  const prefix = watch.label ? `${watch.label}: ` : '';
  const expected = watch.expectedStatus === undefined ? undefined : `status of ${watch.expectedStatus}`;
  page.setDefaultTimeout(watch.timeoutMs ?? 10_000);
  page.on('pageerror', (error) => problems.push(`${prefix}page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (expected && message.text().includes(expected)) return;
    problems.push(`${prefix}console: ${message.text()} (${message.location().url})`);
  });
  return page;
}

/** A page in a new browser context of its own (its own cookies and storage), watched for problems. */
export async function newWatchedPage(
  browser: Browser,
  context: BrowserContextOptions,
  problems: string[],
  watch: PageWatch = {},
): Promise<Page> {
  const page = await (await browser.newContext(context)).newPage();
  return watchPage(page, problems, watch);
}

export interface ConsoleUser {
  username: string;
  password: string;
  /** When given, the log-in also waits for the header to name this role. */
  role?: string;
}

/**
 * Logs in through the console's form, as a person does, and waits until `ready` holds. By default
 * that is the header naming the user ("ana · engineer"); screens that load data after the log-in
 * pass their own (see `queueShown`).
 */
export async function logInThroughForm(
  page: Page,
  cloudUrl: string,
  user: ConsoleUser,
  ready: (page: Page) => Promise<unknown> = (target) =>
    target.locator('#session-user', { hasText: `${user.username} · ${user.role ?? ''}` }).waitFor(),
): Promise<void> {
  await page.goto(`${cloudUrl}/`);
  await page.locator('#login-username').fill(user.username);
  await page.locator('#login-password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await ready(page);
}

/** Ready after a log-in once the queue shows its first ticket: the console opens on the queue. */
export const queueShown = (page: Page): Promise<void> =>
  page.locator('table.queue tbody tr').first().waitFor();

/**
 * How far the page scrolls sideways, in CSS px: above 0, something is wider than the screen, which
 * on a phone means the reader has to pan.
 */
export const sidewaysScroll = (page: Page): Promise<number> =>
  // A string, evaluated in the page: the tests compile without the DOM library.
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** The page's full width in CSS px, to compare with the viewport's. */
export const pageScrollWidth = (page: Page): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth');

/**
 * POSTs to the cloud with a bearer token and expects 200; on anything else the reply's text is the
 * failure message. A string body is sent as it is (CSV), anything else as JSON.
 */
export async function postExpectingOk(
  cloudUrl: string,
  path: string,
  token: string,
  body: unknown,
  contentType = 'application/json',
): Promise<void> {
  const response = await fetch(`${cloudUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

export interface GatewayHabits {
  /** The events' time: when sent (default), or the ticket's firstSeen, as a gateway catching up would. */
  eventTime?: 'sent' | 'first-seen';
  /** Whether each delivery also reports an empty backlog, as current gateways do. */
  reportsBacklog?: boolean;
}

/**
 * A gateway as the cloud sees it: its own token and seq, delivering over HTTP through the real
 * ingest and telemetry routes (test/helpers/tickets.ts goes straight to the store instead).
 */
export class TestGateway {
  private seq = 0;

  constructor(
    private readonly cloudUrl: string,
    readonly gatewayId: string,
    readonly token: string,
    private readonly habits: GatewayHabits = {},
  ) {}

  /** Raises the tickets: one `ticket.opened` event each, under the gateway's next seqs. */
  ingest(tickets: Ticket[]): Promise<void> {
    const events = tickets.map((ticket): OutboxEvent => ({
      gatewayId: this.gatewayId,
      seq: ++this.seq,
      type: 'ticket.opened',
      at: this.habits.eventTime === 'first-seen' ? ticket.firstSeen : new Date().toISOString(),
      ticket,
    }));
    return this.post('/api/v1/ingest', {
      gatewayId: this.gatewayId,
      events,
      ...(this.habits.reportsBacklog ? { backlog: { pending: 0, lastSeq: this.seq } } : {}),
    });
  }

  sendTelemetry(points: TelemetryPoint[]): Promise<void> {
    return this.post('/api/v1/telemetry', { gatewayId: this.gatewayId, points });
  }

  post(path: string, body: unknown): Promise<void> {
    return postExpectingOk(this.cloudUrl, path, this.token, body);
  }
}

/** Gives a gateway a token for its sites and returns it, ready to deliver. */
export async function connectGateway(
  cloud: RunningCloud,
  gatewayId: string,
  sites: string[],
  habits: GatewayHabits = {},
): Promise<TestGateway> {
  const token = await cloud.store.access.createGatewayToken(gatewayId, { sites });
  return new TestGateway(cloud.url, gatewayId, token, habits);
}
