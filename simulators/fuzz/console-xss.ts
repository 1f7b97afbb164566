import type { RunningCloud } from '../../cloud/server.js';
import { sampleTicket } from '../bench/sample-tickets.js';
import { SCRIPT_PAYLOADS } from './hostile-values.js';

export interface XssFigures {
  surface: 'console-xss';
  /** Texts holding a payload that the cloud accepted and the console renders. */
  payloadsStored: number;
  pagesOpened: number;
  /** Pages where window.__pwned was set or a dialog opened: stored script that ran. */
  scriptsExecuted: number;
  findings: string[];
}

const GATEWAY = 'gw-xss';
const SITE = 'site-xss';
const PASSWORD = 'xss-check-password-1';

/** A ticket whose every free text is a payload (title, summary, suggested action, reasoning). */
function hostileTicket(payload: string, index: number) {
  const base = sampleTicket({ gatewayId: GATEWAY, site: SITE, assetId: `xss-${index}` });
  return {
    ...base,
    title: `${payload} title`,
    summary: `${payload} summary`,
    suggestedAction: `${payload} action`,
    evidence: { ...base.evidence, reasoning: [`${payload} reasoning`] },
  };
}

async function storePayloads(
  cloud: RunningCloud,
  findings: string[],
): Promise<{ tickets: string[]; stored: number }> {
  const gatewayToken = await cloud.store.access.createGatewayToken(GATEWAY, { sites: [SITE] });
  await cloud.store.access.createUser({
    username: 'xss-admin',
    role: 'admin',
    sites: 'all',
    password: PASSWORD,
  });
  await cloud.store.access.createUser({ username: 'xss-eng', role: 'engineer', sites: 'all' });
  const adminToken = await cloud.store.access.createApiToken('xss-admin', 'xss');
  const send = async (
    path: string,
    method: string,
    token: string,
    body: string,
    type = 'application/json',
  ) => {
    const response = await fetch(`${cloud.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
    if (!response.ok)
      findings.push(
        `could not store a payload: ${method} ${path} ${response.status} ${await response.text()}`,
      );
    return response.ok;
  };
  let stored = 0;
  const tickets = SCRIPT_PAYLOADS.map(hostileTicket);
  const events = tickets.map((ticket, i) => ({
    gatewayId: GATEWAY,
    seq: i + 1,
    type: 'ticket.opened',
    at: ticket.firstSeen,
    ticket,
  }));
  const batch = { gatewayId: GATEWAY, events, backlog: { pending: 0, lastSeq: events.length } };
  if (await send('/api/v1/ingest', 'POST', gatewayToken, JSON.stringify(batch))) stored += tickets.length * 4;
  for (const [i, payload] of SCRIPT_PAYLOADS.entries()) {
    const id = tickets[i]!.id;
    if (
      await send(
        `/api/v1/tickets/${id}/comments`,
        'POST',
        adminToken,
        JSON.stringify({ text: `${payload} comment` }),
      )
    ) {
      stored++;
    }
  }
  const csv = [
    'assetId,site,name',
    ...SCRIPT_PAYLOADS.map((p, i) => `xss-${i},${SITE},"${p.replaceAll('"', '""')} asset"`),
  ].join('\n');
  if (await send('/api/v1/imports/assets', 'POST', adminToken, `${csv}\n`, 'text/csv; charset=utf-8')) {
    stored += SCRIPT_PAYLOADS.length;
  }
  const routing = {
    engineers: { 'xss-eng': { skills: ['vibration'] } },
    rules: SCRIPT_PAYLOADS.map((p) => ({ name: `${p} rule`, skill: 'vibration' })),
  };
  if (await send('/api/v1/routing', 'PUT', adminToken, JSON.stringify(routing)))
    stored += SCRIPT_PAYLOADS.length;
  return { tickets: tickets.map((t) => t.id), stored };
}

/**
 * Stores script payloads in every text the console renders, opens its pages in Chromium as an
 * admin, and reports any page where one ran (window.__pwned set, or a dialog opened).
 */
export async function checkConsoleXss(cloud: RunningCloud, chromiumPath: string): Promise<XssFigures> {
  const findings: string[] = [];
  const { tickets, stored } = await storePayloads(cloud, findings);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
    timeout: 20_000,
  });
  let pagesOpened = 0;
  let scriptsExecuted = 0;
  try {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    // The tripwire itself: the first payload, parsed as HTML, does set window.__pwned.
    await page.setContent(`<div>${SCRIPT_PAYLOADS[0]}</div>`);
    await page.waitForFunction(() => (globalThis as { __pwned?: unknown }).__pwned === 1, null, {
      timeout: 5_000,
    });
    await page.goto(`${cloud.url}/`);
    await page.locator('#login-username').fill('xss-admin');
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('table.queue tbody tr').first().waitFor();
    const hashes = [
      '#/queue',
      ...tickets.map((id) => `#/tickets/${id}`),
      ...SCRIPT_PAYLOADS.map((_, i) => `#/assets/xss-${i}`),
      '#/fleet',
      '#/rules',
      '#/on-call',
      '#/notifications',
    ];
    for (const hash of hashes) {
      await page.goto(`${cloud.url}/${hash}`);
      await page.waitForLoadState('networkidle');
      pagesOpened++;
      const pwned = await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned);
      if (pwned !== undefined || dialogs > 0) {
        scriptsExecuted++;
        findings.push(`stored script ran on ${hash} (window.__pwned=${String(pwned)}, ${dialogs} dialogs)`);
        await page.evaluate(() => delete (globalThis as { __pwned?: unknown }).__pwned);
        dialogs = 0;
      }
    }
    // The payload is shown as text, not dropped: the ticket's title reads as typed.
    await page.goto(`${cloud.url}/#/tickets/${tickets[0]}`);
    for (const text of [`${SCRIPT_PAYLOADS[0]} title`, `${SCRIPT_PAYLOADS[0]} comment`]) {
      await page
        .getByText(text)
        .first()
        .waitFor({ timeout: 5_000 })
        .catch(() => findings.push(`"${text}" is not shown as text on the ticket page`));
    }
  } finally {
    await browser.close();
  }
  return { surface: 'console-xss', payloadsStored: stored, pagesOpened, scriptsExecuted, findings };
}
