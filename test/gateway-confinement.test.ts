import { afterAll, describe, expect, it } from 'vitest';
import { GatewayTokens } from '../cloud/access/gateway-tokens.js';
import { hashToken, newToken, tokenPrefix } from '../cloud/access/secrets.js';
import { CLOUD_MIGRATIONS } from '../cloud/cloud-modules.js';
import type { RunningCloud } from '../cloud/server.js';
import { openMigratedDatabase } from '../cloud/store/open-sql-database.js';
import { IngestStore } from '../cloud/tickets/ingest-store.js';
import { ChangeSignal } from '../cloud/tickets/ticket-changes.js';
import type { GatewayView, OutboxEvent, Ticket, TicketView } from '../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from './helpers/cloud-databases.js';
import { cloudJson } from './helpers/cloud-client.js';
import { capturingLogger, removeTempDirs, silentLogger, startTestCloud } from './helpers/stack.js';
import { sampleTicket } from './helpers/tickets.js';
import { sleep } from '../shared/time.js';

const clouds: RunningCloud[] = [];
afterAll(async () => {
  await Promise.all(clouds.map((c) => c.stop()));
  removeTempDirs();
});

const HOUR = 3_600_000;

const opened = (ticket: Ticket, seq: number, type: OutboxEvent['type'] = 'ticket.opened'): OutboxEvent => ({
  gatewayId: ticket.gatewayId,
  seq,
  type,
  at: new Date().toISOString(),
  ticket,
});

const post = (cloud: RunningCloud, path: string, token: string, body: unknown) =>
  fetch(`${cloud.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

const ingest = (cloud: RunningCloud, token: string, gatewayId: string, events: OutboxEvent[]) =>
  post(cloud, '/api/v1/ingest', token, { gatewayId, events });

const gatewayView = async (cloud: RunningCloud, gatewayId: string) =>
  (await cloudJson<{ gateways: GatewayView[] }>(cloud, '/api/v1/gateways')).gateways.find(
    (g) => g.gatewayId === gatewayId,
  );

/** An engineer who sees only plant-a, and their API token. */
async function plantAEngineer(cloud: RunningCloud): Promise<string> {
  await cloud.store.access.createUser({ username: 'eng-a', role: 'engineer', sites: ['plant-a'] });
  return cloud.store.access.createApiToken('eng-a', 'tests');
}

const asUser = async <T>(cloud: RunningCloud, token: string, path: string) => {
  const response = await fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
};

describe.each(CLOUD_STORES)('a gateway writes only what it owns (%s)', (kind) => {
  it("refuses gateway B's batch touching A's ticket or site plant-a: 403 naming the field, nothing applied", async () => {
    const cloud = await startTestCloud({ db: await newCloudDatabase(kind) });
    clouds.push(cloud);
    const tokenA = await cloud.store.access.createGatewayToken('gw-a', { sites: ['plant-a'] });
    const tokenB = await cloud.store.access.createGatewayToken('gw-b', { sites: ['plant-z'] });
    const ticketA = sampleTicket({ gatewayId: 'gw-a', site: 'plant-a', title: "A's ticket" });
    expect((await ingest(cloud, tokenA, 'gw-a', [opened(ticketA, 1)])).status).toBe(200);

    // B's own, allowed event first: it must not be applied either when a later one is refused.
    const ownB = sampleTicket({ gatewayId: 'gw-b', site: 'plant-z', assetId: 'fan-1' });
    const hijack = {
      ...ticketA,
      gatewayId: 'gw-b',
      site: 'plant-z',
      title: 'overwritten by B',
      condition: 'cleared' as const,
      clearedAt: new Date().toISOString(),
    };
    const foreign = await ingest(cloud, tokenB, 'gw-b', [
      opened(ownB, 1),
      opened(hijack, 2, 'ticket.cleared'),
    ]);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({
      code: 'PW_FOREIGN_TICKET',
      message: `body/events/1/ticket/id: ticket ${ticketA.id} was raised by gateway gw-a`,
    });

    const intoPlantA = sampleTicket({ gatewayId: 'gw-b', site: 'plant-a', assetId: 'fan-2' });
    const wrongSite = await ingest(cloud, tokenB, 'gw-b', [opened(ownB, 1), opened(intoPlantA, 2)]);
    expect(wrongSite.status).toBe(403);
    expect(await wrongSite.json()).toMatchObject({
      code: 'PW_SITE_NOT_ALLOWED',
      message: 'body/events/1/ticket/site: gateway gw-b may not write site plant-a',
    });

    // A ticket body naming another gateway is no way around it either.
    const posingAsA = sampleTicket({ gatewayId: 'gw-a', site: 'plant-z', assetId: 'fan-3' });
    const posing = await ingest(cloud, tokenB, 'gw-b', [{ ...opened(posingAsA, 1), gatewayId: 'gw-b' }]);
    expect(posing.status).toBe(403);
    expect(await posing.json()).toMatchObject({
      code: 'PW_WRONG_GATEWAY',
      message: `body/events/0/ticket/gatewayId: ticket ${posingAsA.id} names gateway gw-a, not gw-b`,
    });

    // Nothing of B's batches was applied, its seq not acknowledged; A's ticket is as A sent it.
    expect((await gatewayView(cloud, 'gw-b'))?.ackedSeq ?? 0).toBe(0);
    const tickets = (await cloudJson<{ tickets: TicketView[] }>(cloud, '/api/v1/tickets')).tickets;
    expect(tickets.map((t) => t.id)).toEqual([ticketA.id]);
    const detail = await cloudJson<TicketView>(cloud, `/api/v1/tickets/${ticketA.id}`);
    expect(detail).toMatchObject({
      title: "A's ticket",
      site: 'plant-a',
      gatewayId: 'gw-a',
      condition: 'active',
    });

    // Counted by reason; the edge's replicator waits and retries on 403, so an operator can rebind.
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_ingest_rejects_total{reason="foreign_ticket"} 1');
    expect(metrics).toContain('plantwatch_cloud_ingest_rejects_total{reason="site_not_allowed"} 1');
    expect(metrics).toContain('plantwatch_cloud_ingest_rejects_total{reason="wrong_gateway"} 1');

    // B's own ticket, on its own site, goes through.
    expect((await ingest(cloud, tokenB, 'gw-b', [opened(ownB, 1)])).status).toBe(200);
    expect((await gatewayView(cloud, 'gw-b'))?.ackedSeq).toBe(1);
  });

  it('refuses telemetry for a site, or a registered asset of a site, the gateway may not write, storing none of the batch', async () => {
    const cloud = await startTestCloud({ db: await newCloudDatabase(kind) });
    clouds.push(cloud);
    const tokenB = await cloud.store.access.createGatewayToken('gw-b', { sites: ['plant-z'] });
    const point = (site: string, ts: number) => ({
      ts,
      site,
      assetId: 'pump-1',
      channel: 'de',
      fields: { velocityRmsMmS: 3 },
    });
    const now = Date.now();
    const refused = await post(cloud, '/api/v1/telemetry', tokenB, {
      gatewayId: 'gw-b',
      points: [point('plant-z', now - 2000), point('plant-a', now - 1000)],
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      code: 'PW_SITE_NOT_ALLOWED',
      message: 'body/points/1/site: gateway gw-b may not write site plant-a',
    });
    // An asset the registry puts at plant-a is refused whatever site the point claims.
    await cloud.store.database.run('INSERT INTO assets (asset_id, site, updated_at) VALUES (?, ?, ?)', [
      'press-4',
      'plant-a',
      new Date().toISOString(),
    ]);
    const disguised = await post(cloud, '/api/v1/telemetry', tokenB, {
      gatewayId: 'gw-b',
      points: [point('plant-z', now - 2000), { ...point('plant-z', now - 1000), assetId: 'press-4' }],
    });
    expect(disguised.status).toBe(403);
    expect(await disguised.json()).toMatchObject({
      code: 'PW_SITE_NOT_ALLOWED',
      message:
        'body/points/1/assetId: asset press-4 is registered at site plant-a; gateway gw-b may not write site plant-a',
    });
    const stored = await cloud.store.database.get<{ n: number | string }>(
      'SELECT count(*) AS n FROM telemetry_points',
    );
    expect(Number(stored?.n)).toBe(0);
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_telemetry_rejects_total{reason="site_not_allowed"} 1');
    expect(metrics).toContain('plantwatch_cloud_telemetry_rejects_total{reason="asset_not_allowed"} 1');
    const allowed = await post(cloud, '/api/v1/telemetry', tokenB, {
      gatewayId: 'gw-b',
      points: [point('plant-z', now - 2000)],
    });
    expect(allowed.status).toBe(200);
  });

  it('shows a ticket in the list and the detail under the same stored site', async () => {
    const cloud = await startTestCloud({ db: await newCloudDatabase(kind) });
    clouds.push(cloud);
    // A gateway that may write both sites moves its own ticket's snapshot to plant-z.
    const token = await cloud.store.access.createGatewayToken('gw-a', { sites: ['plant-a', 'plant-z'] });
    const ticket = sampleTicket({ gatewayId: 'gw-a', site: 'plant-a' });
    expect((await ingest(cloud, token, 'gw-a', [opened(ticket, 1)])).status).toBe(200);
    const moved = { ...ticket, site: 'plant-z', occurrences: 2 };
    expect((await ingest(cloud, token, 'gw-a', [opened(moved, 2, 'ticket.updated')])).status).toBe(200);

    const engineer = await plantAEngineer(cloud);
    const list = await asUser<{ tickets: TicketView[] }>(cloud, engineer, '/api/v1/tickets');
    expect(list.body.tickets.map((t) => [t.id, t.site])).toEqual([[ticket.id, 'plant-a']]);
    const detail = await asUser<TicketView>(cloud, engineer, `/api/v1/tickets/${ticket.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: ticket.id, site: 'plant-a', occurrences: 2 });
  });

  it('refuses an expired token with 401 saying so, and rotates with both tokens valid until the grace ends', async () => {
    const cloud = await startTestCloud({ db: await newCloudDatabase(kind) });
    clouds.push(cloud);
    const twoHoursAgo = () => new Date(Date.now() - 2 * HOUR);
    // Issued two hours ago for one hour: expired an hour ago.
    const expired = await new GatewayTokens(cloud.store.database, twoHoursAgo).create('gw-x', {
      sites: ['plant-a'],
      expiresInMs: HOUR,
    });
    const ticket = sampleTicket({ gatewayId: 'gw-x', site: 'plant-a' });
    const refused = await ingest(cloud, expired, 'gw-x', [opened(ticket, 1)]);
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { code: string; message: string };
    expect(body.code).toBe('PW_BAD_TOKEN');
    expect(body.message).toMatch(
      /^gateway token of 'gw-x' expired at \d{4}-.*Z; create a new one with `plantwatch cloud tokens create gw-x --site <site>`$/,
    );

    // Rotation now with a day's grace: old and new both write.
    const old = await cloud.store.access.createGatewayToken('gw-r', { sites: ['plant-a'] });
    const { token: fresh, oldValidUntil } = await cloud.store.access.gatewayTokens.rotate('gw-r', {
      graceMs: 24 * HOUR,
    });
    expect(Date.parse(oldValidUntil) - Date.now()).toBeGreaterThan(23 * HOUR);
    const rotated = sampleTicket({ gatewayId: 'gw-r', site: 'plant-a' });
    expect((await ingest(cloud, old, 'gw-r', [opened(rotated, 1)])).status).toBe(200);
    expect((await ingest(cloud, fresh, 'gw-r', [opened(rotated, 2, 'ticket.updated')])).status).toBe(200);

    // A rotation whose grace is over (done two hours ago with one hour's grace): only the new one.
    const before = await cloud.store.access.createGatewayToken('gw-s', { sites: ['plant-a'] });
    const { token: after } = await new GatewayTokens(cloud.store.database, twoHoursAgo).rotate('gw-s', {
      graceMs: HOUR,
    });
    const s = sampleTicket({ gatewayId: 'gw-s', site: 'plant-a' });
    expect((await ingest(cloud, before, 'gw-s', [opened(s, 1)])).status).toBe(401);
    expect((await ingest(cloud, after, 'gw-s', [opened(s, 1)])).status).toBe(200);

    // The listing: ids (never secrets), sites, expiry and last use.
    const listed = (await cloud.store.access.listGatewayTokens()).filter((t) => t.gatewayId === 'gw-r');
    expect(listed).toHaveLength(2);
    for (const t of listed) {
      expect(t).toMatchObject({ sites: ['plant-a'], sitesFrom: 'operator', lastUsedAt: expect.any(String) });
      expect(t.id).toMatch(/^[0-9a-f]{12}$/);
    }
    expect(listed.map((t) => t.expiresAt)).toContain(oldValidUntil);
    expect(JSON.stringify(listed)).not.toContain(old.slice(10));
    expect(JSON.stringify(listed)).not.toContain(fresh.slice(10));

    // The old one revoked by its id before the grace ends: only the new one writes.
    expect(await cloud.store.access.gatewayTokens.revoke('gw-r', hashToken(old).slice(0, 12))).toBe(1);
    expect((await ingest(cloud, old, 'gw-r', [opened(rotated, 3, 'ticket.updated')])).status).toBe(401);
    expect((await ingest(cloud, fresh, 'gw-r', [opened(rotated, 3, 'ticket.updated')])).status).toBe(200);
  });

  it('confines a token from before site binding to the sites its gateway had written, and says how to bind it', async () => {
    const db = await newCloudDatabase(kind);
    // A database as the previous release left it: a token with no sites, a ticket its gateway raised.
    const upTo = CLOUD_MIGRATIONS.findIndex((m) => m.id === 'access-2-gateway-token-sites');
    expect(upTo).toBeGreaterThan(0);
    const old = await openMigratedDatabase(db, CLOUD_MIGRATIONS.slice(0, upTo));
    const legacy = newToken('gateway');
    const idle = newToken('gateway');
    for (const [token, gatewayId] of [
      [legacy, 'gw-old'],
      [idle, 'gw-idle'],
    ] as const) {
      await old.run(
        'INSERT INTO gateway_tokens (token_hash, gateway_id, token_prefix, created_at) VALUES (?, ?, ?, ?)',
        [hashToken(token), gatewayId, tokenPrefix(token), new Date().toISOString()],
      );
    }
    const raised = sampleTicket({ gatewayId: 'gw-old', site: 'plant-a' });
    await new IngestStore(old, new ChangeSignal()).applyEvents('gw-old', [opened(raised, 1)]);
    await old.close();

    const log = capturingLogger();
    const cloud = await startTestCloud({ db, logger: log.logger });
    clouds.push(cloud);
    const warnings = log
      .lines()
      .filter((l) => l.level === 40 && String(l.msg).includes('predates site binding'));
    expect(warnings.map((l) => l.gatewayId).sort()).toEqual(['gw-idle', 'gw-old']);
    expect(String(warnings.find((l) => l.gatewayId === 'gw-old')?.msg)).toContain(
      'may write only the sites its gateway had written (plant-a); bind it explicitly with `plantwatch cloud tokens sites gw-old --site <site> [--site ...]`',
    );
    expect(JSON.stringify(log.lines())).not.toContain(legacy);

    const next = { ...raised, occurrences: 2 };
    expect((await ingest(cloud, legacy, 'gw-old', [opened(next, 2, 'ticket.updated')])).status).toBe(200);
    const elsewhere = sampleTicket({ gatewayId: 'gw-old', site: 'plant-b', assetId: 'fan-1' });
    expect((await ingest(cloud, legacy, 'gw-old', [opened(elsewhere, 3)])).status).toBe(403);
    // A gateway that had written nothing writes nothing until an operator binds it.
    const first = sampleTicket({ gatewayId: 'gw-idle', site: 'plant-a' });
    expect((await ingest(cloud, idle, 'gw-idle', [opened(first, 1)])).status).toBe(403);
    await cloud.store.access.gatewayTokens.bindSites('gw-idle', ['plant-a']);
    expect((await ingest(cloud, idle, 'gw-idle', [opened(first, 1)])).status).toBe(200);
    expect((await cloud.store.access.gatewayTokens.boundByUpgrade()).map((t) => t.gatewayId)).toEqual([
      'gw-old',
    ]);
  });
});

describe('rate limits over several cloud instances on one PostgreSQL', () => {
  it('count a gateway’s requests to both instances against one limit', async () => {
    const db = await newCloudDatabase('postgres');
    const windowMs = 60 * 60_000;
    const limit = { ingestRateLimit: { max: 4, timeWindowMs: windowMs }, logger: silentLogger() };
    // The shared windows are aligned to multiples of their length (the hour): six requests that
    // straddle a full hour are counted in two windows. Start clear of the boundary.
    const toBoundary = windowMs - (Date.now() % windowMs);
    if (toBoundary < 60_000) await sleep(toBoundary + 1000);
    const [a, b] = await Promise.all([startTestCloud({ db, ...limit }), startTestCloud({ db, ...limit })]);
    clouds.push(a, b);
    const token = await a.store.access.createGatewayToken('gw-rl', { sites: ['site-a'] });
    const ticket = sampleTicket({ gatewayId: 'gw-rl' });
    const statuses: number[] = [];
    // Alternating instances, as a load balancer would: per-instance counting would allow 8.
    for (let seq = 1; seq <= 6; seq++) {
      const cloud = seq % 2 === 0 ? b : a;
      statuses.push(
        (await ingest(cloud, token, 'gw-rl', [opened({ ...ticket, occurrences: seq }, seq)])).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    // Another gateway has its own count.
    const other = await b.store.access.createGatewayToken('gw-rl2', { sites: ['site-a'] });
    const its = sampleTicket({ gatewayId: 'gw-rl2' });
    expect((await ingest(a, other, 'gw-rl2', [opened(its, 1)])).status).toBe(200);
  }, 120_000);
});
