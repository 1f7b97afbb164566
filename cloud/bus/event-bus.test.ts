import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveBusConfig } from './bus-config.js';
import { siteTopic } from './mqtt-publisher.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './webhook-signature.js';
import { type CloudConfig, loadCloudConfig } from '../config/cloud-config.js';
import type { RunningCloud } from '../server.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/sources/mqtt/embedded-broker.js';
import type { TicketChange, TicketChangePage } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch } from '../../test/helpers/cloud-client.js';
import {
  type HttpReceiver,
  type ReceivedRequest,
  startHttpReceiver,
} from '../../test/helpers/http-receiver.js';
import {
  freePort,
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  waitFor,
} from '../../test/helpers/stack.js';
import { openTicket } from '../../test/helpers/tickets.js';

const RETRY = { initial: '50ms', max: '400ms' };
const busConfig = (extra: NonNullable<CloudConfig['bus']> = {}): CloudConfig => ({
  bus: { retry: RETRY, pollInterval: '200ms', ...extra },
});

interface Created {
  id: number;
  url: string;
  secret: string;
}

const header = (request: ReceivedRequest, name: string): string => String(request.headers[name] ?? '');
const delivered = (receiver: HttpReceiver): ReceivedRequest[] =>
  receiver.requests.filter((r) => r.status >= 200 && r.status < 300);
const changesOf = (requests: ReceivedRequest[]): TicketChange[] =>
  requests.map((r) => JSON.parse(r.body) as TicketChange);

describe.each(CLOUD_STORES)('ticket event bus on %s', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    removeTempDirs();
  });

  async function cloudWith(config: CloudConfig = busConfig(), db?: string): Promise<RunningCloud> {
    const cloud = await startTestCloud({
      db: db ?? (await newCloudDatabase(kind)),
      config,
      logger: silentLogger(),
    });
    cleanups.push(() => cloud.stop());
    return cloud;
  }
  async function receiver(): Promise<HttpReceiver> {
    const r = await startHttpReceiver();
    cleanups.push(() => r.close());
    return r;
  }
  async function subscribe(cloud: RunningCloud, body: Record<string, unknown>): Promise<Created> {
    const response = await cloudFetch(cloud, '/api/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Created;
  }
  const webhooks = async (cloud: RunningCloud) =>
    ((await (await cloudFetch(cloud, '/api/v1/webhooks')).json()) as { webhooks: Record<string, unknown>[] })
      .webhooks;

  it('delivers opened → assigned → transitioned in order, signed, and retries a 500 with backoff', async () => {
    const cloud = await cloudWith();
    const hook = await receiver();
    const arrivals: number[] = [];
    hook.respond = (_request, i) => {
      arrivals.push(performance.now());
      return i < 2 ? { status: 500 } : { status: 200 };
    };
    const created = await subscribe(cloud, { url: `${hook.url}/plantwatch`, description: 'ERP' });
    expect(created.secret).toMatch(/^pwwh_[A-Za-z0-9_-]{40,}$/);

    const ticket = await openTicket(cloud.store, { site: 'site-a' });
    expect('ok' in (await cloud.store.review.assign(ticket.id, 'test-admin', { assignee: 'ana' }))).toBe(
      true,
    );
    expect('ok' in (await cloud.store.review.transition(ticket.id, 'ana', { to: 'acknowledged' }))).toBe(
      true,
    );
    await cloud.modules.idle();

    const ours = hook.requests.filter((r) => (JSON.parse(r.body) as TicketChange).ticket.id === ticket.id);
    const taken = ours.filter((r) => r.status === 200);
    expect(changesOf(taken).map((c) => c.type)).toEqual([
      'ticket.opened',
      'ticket.assigned',
      'ticket.transitioned',
    ]);
    expect(changesOf(taken).map((c) => c.ticket.status)).toEqual(['new', 'new', 'acknowledged']);
    expect(changesOf(taken)[1]?.ticket.assignee).toBe('ana');

    // The first change failed twice, then was taken once; nothing overtook it.
    const deliveryIds = hook.requests.map((r) => Number(header(r, 'x-plantwatch-delivery')));
    expect(hook.requests.map((r) => r.status).slice(0, 3)).toEqual([500, 500, 200]);
    expect(deliveryIds[0]).toBe(deliveryIds[1]);
    expect(deliveryIds[1]).toBe(deliveryIds[2]);
    expect(deliveryIds).toEqual([...deliveryIds].sort((a, b) => a - b));
    const takenIds = delivered(hook).map((r) => header(r, 'x-plantwatch-delivery'));
    expect(new Set(takenIds).size).toBe(takenIds.length);
    expect(takenIds.map(Number)).toEqual([...takenIds.map(Number)].sort((a, b) => a - b));
    // Equal-jitter backoff: at least half of 50 ms, then half of 100 ms.
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(24);
    expect((arrivals[2] ?? 0) - (arrivals[1] ?? 0)).toBeGreaterThanOrEqual(49);

    for (const request of taken) {
      const change = JSON.parse(request.body) as TicketChange;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/plantwatch');
      expect(header(request, 'content-type')).toBe('application/json');
      expect(header(request, 'x-plantwatch-event')).toBe(change.type);
      expect(header(request, 'x-plantwatch-delivery')).toBe(change.cursor);
      expect(change.schema).toBe('plantwatch.ticket-change/v1');
      const signed = {
        timestamp: header(request, TIMESTAMP_HEADER),
        signature: header(request, SIGNATURE_HEADER),
      };
      expect(verifySignature(created.secret, signed, request.body)).toBe(true);
      expect(verifySignature(`${created.secret}x`, signed, request.body)).toBe(false);
      expect(verifySignature(created.secret, signed, request.body.replace('site-a', 'site-b'))).toBe(false);
    }

    const [status] = await webhooks(cloud);
    expect(status).toMatchObject({
      id: created.id,
      url: `${hook.url}/plantwatch`,
      description: 'ERP',
      createdBy: 'test-admin',
      delivered: 3,
      failures: 2,
      consecutiveFailures: 0,
      lag: 0,
      cursor: takenIds.at(-1),
      leader: true,
    });
    expect(status).not.toHaveProperty('secret');
    expect(status).not.toHaveProperty('lastError');
  });

  it("starts a subscription at 'now' without history or at the 'beginning' with all of it", async () => {
    const cloud = await cloudWith();
    const before = await openTicket(cloud.store, { site: 'site-a' });
    const fromNow = await receiver();
    const fromStart = await receiver();
    await subscribe(cloud, { url: fromNow.url, from: 'now' });
    await subscribe(cloud, { url: fromStart.url, from: 'beginning' });
    const after = await openTicket(cloud.store, { site: 'site-a' });
    await cloud.modules.idle();

    expect(changesOf(delivered(fromNow)).map((c) => c.ticket.id)).toEqual([after.id]);
    expect(changesOf(delivered(fromStart)).map((c) => c.ticket.id)).toEqual([before.id, after.id]);
  });

  it('filters by site and type, and a dead receiver delays only its own subscription', async () => {
    const cloud = await cloudWith();
    const filtered = await receiver();
    const dead = await receiver();
    dead.respond = () => ({ status: 503 });
    await subscribe(cloud, { url: filtered.url, sites: ['site-b'], types: ['ticket.transitioned'] });
    const deadOne = await subscribe(cloud, { url: dead.url });

    const a = await openTicket(cloud.store, { site: 'site-a' });
    const b = await openTicket(cloud.store, { site: 'site-b', gatewayId: 'gw-2' });
    await cloud.store.review.transition(a.id, 'ana', { to: 'acknowledged' });
    await cloud.store.review.transition(b.id, 'ana', { to: 'acknowledged' });

    await waitFor(() => delivered(filtered).length === 1, 'the site-b transition at the filtered receiver');
    await waitFor(() => dead.requests.length >= 3, 'retries at the dead receiver');
    const [change] = changesOf(delivered(filtered));
    expect(change).toMatchObject({ type: 'ticket.transitioned', ticket: { id: b.id, site: 'site-b' } });

    const status = (await webhooks(cloud)).find((w) => w.id === deadOne.id);
    expect(status).toMatchObject({
      delivered: 0,
      lag: 4,
      lastError: expect.stringContaining('503') as unknown,
    });
    expect(Number(status?.consecutiveFailures)).toBeGreaterThanOrEqual(2);
    expect(Date.parse(String(status?.nextAttemptAt))).toBeGreaterThan(Date.now() - 1000);
    // The dead receiver only ever saw the first change, again and again.
    expect(new Set(dead.requests.map((r) => header(r, 'x-plantwatch-delivery'))).size).toBe(1);
  });

  it('a deleted subscription gets nothing more', async () => {
    const cloud = await cloudWith();
    const hook = await receiver();
    const created = await subscribe(cloud, { url: hook.url });
    await openTicket(cloud.store, { site: 'site-a' });
    await cloud.modules.idle();
    expect(delivered(hook)).toHaveLength(1);

    expect((await cloudFetch(cloud, `/api/v1/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect(await webhooks(cloud)).toEqual([]);
    await openTicket(cloud.store, { site: 'site-a' });
    await cloud.modules.idle();
    await cloud.modules.bus.refresh();
    expect(hook.requests).toHaveLength(1);
    const cursorRow = await cloud.store.database.get('SELECT 1 AS x FROM change_consumers WHERE name = ?', [
      `webhook:${created.id}`,
    ]);
    expect(cursorRow).toBeUndefined();
    const again = await cloudFetch(cloud, `/api/v1/webhooks/${created.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { code: string }).code).toBe('PW_NO_WEBHOOK');
  });

  it('refuses non-http URLs and non-admins', async () => {
    const cloud = await cloudWith();
    for (const url of ['ftp://erp.example.com/hook', 'mailto:ops@example.com', 'not a url']) {
      const response = await cloudFetch(cloud, '/api/v1/webhooks', {
        method: 'POST',
        body: JSON.stringify({ url }),
      });
      expect(response.status).toBe(400);
      const reply = (await response.json()) as { message: string; code: string };
      expect(reply.message).toMatch(/^body\/url: /);
      expect(reply.code).toBe('PW_BAD_WEBHOOK_URL');
    }
    const badType = await cloudFetch(cloud, '/api/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: 'https://erp.example.com/hook', types: ['ticket.exploded'] }),
    });
    expect(badType.status).toBe(400);
    await cloud.store.access.createUser({ username: 'eng', role: 'engineer', sites: 'all' });
    const token = await cloud.store.access.createApiToken('eng', 'test');
    const asEngineer = await fetch(`${cloud.url}/api/v1/webhooks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(asEngineer.status).toBe(403);
    expect(await webhooks(cloud)).toEqual([]);
  });

  it('replays the log by cursor, only the sites a user may see', async () => {
    const cloud = await cloudWith();
    for (let i = 0; i < 3; i++) {
      const t = await openTicket(cloud.store, { site: 'site-a' });
      await cloud.store.review.transition(t.id, 'ana', { to: 'acknowledged' });
    }
    await openTicket(cloud.store, { site: 'site-b', gatewayId: 'gw-2' });
    await openTicket(cloud.store, { site: 'site-b', gatewayId: 'gw-2' });
    const everything = (await cloud.store.changes.read({ limit: 1000 })).changes;
    expect(everything.length).toBeGreaterThanOrEqual(8);

    const pageThrough = async (get: (path: string) => Promise<Response>, query: string) => {
      const seen: TicketChange[] = [];
      let cursor = '0';
      for (let pages = 0; pages < 100; pages++) {
        const response = await get(`/api/v1/ticket-events?after=${cursor}&limit=3${query}`);
        expect(response.status).toBe(200);
        const page = (await response.json()) as TicketChangePage;
        seen.push(...page.changes);
        if (page.changes.length === 0) {
          expect(page.nextCursor).toBe(cursor);
          return seen;
        }
        expect(Number(page.nextCursor)).toBeGreaterThan(Number(cursor));
        cursor = page.nextCursor;
      }
      throw new Error('paging did not end');
    };
    const asAdmin = (path: string) => cloudFetch(cloud, path);
    expect(await pageThrough(asAdmin, '')).toEqual(everything);
    expect((await pageThrough(asAdmin, '&type=ticket.transitioned')).map((c) => c.type)).toEqual(
      Array(3).fill('ticket.transitioned'),
    );
    expect((await pageThrough(asAdmin, '&site=site-b')).map((c) => c.ticket.site)).toEqual([
      'site-b',
      'site-b',
    ]);

    await cloud.store.access.createUser({ username: 'anna', role: 'viewer', sites: ['site-b'] });
    const token = await cloud.store.access.createApiToken('anna', 'test');
    const asAnna = (path: string) =>
      fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const annas = await pageThrough(asAnna, '');
    expect(annas.map((c) => c.ticket.site)).toEqual(['site-b', 'site-b']);
    expect(await pageThrough(asAnna, '&site=site-a')).toEqual([]);

    const bad = await asAdmin('/api/v1/ticket-events?after=xyz');
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { code: string; message: string };
    expect(problem.code).toBe('PW_BAD_CURSOR');
    expect(problem.message).toMatch(/querystring\/after: .*nextCursor/);
    expect((await asAdmin('/api/v1/ticket-events?limit=1001')).status).toBe(400);
    expect((await asAdmin('/api/v1/ticket-events?limit=0')).status).toBe(400);
    expect((await asAdmin('/api/v1/ticket-events?type=ticket.nope')).status).toBe(400);
    expect((await fetch(`${cloud.url}/api/v1/ticket-events`)).status).toBe(401);
    const defaults = (await (await asAdmin('/api/v1/ticket-events')).json()) as TicketChangePage;
    expect(defaults.changes).toEqual(everything);
  });

  it('keeps the config file webhooks by name, signed with the configured secret', async () => {
    const db = await newCloudDatabase(kind);
    const hook = await receiver();
    const secret = 'config-secret-0123456789';
    const erp = { name: 'erp', url: `${hook.url}/v1`, secret, from: 'beginning' as const };
    let cloud = await cloudWith(busConfig({ webhooks: [erp] }), db);
    await openTicket(cloud.store, { site: 'site-a' });
    await cloud.modules.idle();
    const [first] = delivered(hook);
    expect(first?.path).toBe('/v1');
    expect(
      verifySignature(
        secret,
        { timestamp: header(first!, TIMESTAMP_HEADER), signature: header(first!, SIGNATURE_HEADER) },
        first!.body,
      ),
    ).toBe(true);
    const [listed] = await webhooks(cloud);
    expect(listed).toMatchObject({ name: 'erp', createdBy: 'config', delivered: 1 });

    // Restarted with a new URL: the same subscription (same cursor: no redelivery), updated.
    await cloud.stop();
    cleanups.pop();
    cloud = await cloudWith(busConfig({ webhooks: [{ ...erp, url: `${hook.url}/v2` }] }), db);
    await openTicket(cloud.store, { site: 'site-a', gatewayId: 'gw-2' });
    await cloud.modules.idle();
    expect(delivered(hook).map((r) => r.path)).toEqual(['/v1', '/v2']);
    const relisted = await webhooks(cloud);
    expect(relisted).toHaveLength(1);
    expect(relisted[0]).toMatchObject({ id: listed?.id, url: `${hook.url}/v2`, delivered: 2 });

    // Taken out of the file: gone at the next start.
    await cloud.stop();
    cleanups.pop();
    cloud = await cloudWith(busConfig(), db);
    expect(await webhooks(cloud)).toEqual([]);
  });
});

describe('ticket event bus on several instances over one PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    removeTempDirs();
  });

  it('delivers each change once, and a subscription deleted on one instance stops on all', async () => {
    const db = await newCloudDatabase('postgres');
    const start = async () => {
      const cloud = await startTestCloud({ db, config: busConfig(), logger: silentLogger() });
      cleanups.push(() => cloud.stop());
      return cloud;
    };
    const [a, b] = [await start(), await start()];
    const hook = await startHttpReceiver();
    cleanups.push(() => hook.close());
    const response = await cloudFetch(a, '/api/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: hook.url }),
    });
    const created = (await response.json()) as Created;
    await b.modules.bus.refresh();

    for (let i = 0; i < 3; i++)
      await openTicket(i % 2 ? a.store : b.store, { site: 'site-a', gatewayId: `gw-${i}` });
    await waitFor(() => delivered(hook).length >= 3, 'three deliveries');
    await a.modules.idle();
    await b.modules.idle();
    const ids = delivered(hook).map((r) => header(r, 'x-plantwatch-delivery'));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const leaders = await Promise.all(
      [a, b].map(async (cloud) => (await cloud.modules.bus.webhookStatus())[0]?.leader),
    );
    expect(leaders.filter(Boolean)).toHaveLength(1);
    expect((await b.modules.bus.webhookStatus())[0]).toMatchObject({ delivered: 3, lag: 0 });

    expect((await cloudFetch(b, `/api/v1/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    await openTicket(a.store, { site: 'site-a', gatewayId: 'gw-late' });
    await a.modules.idle();
    await a.modules.bus.refresh();
    expect(await a.modules.bus.webhookStatus()).toEqual([]);
    expect(hook.requests).toHaveLength(3);
  });
});

describe('ticket events over MQTT', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    removeTempDirs();
  });

  async function subscriber(broker: EmbeddedBroker, topic: string) {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync(true));
    const messages: { topic: string; change: TicketChange }[] = [];
    client.on('message', (t, payload) =>
      messages.push({ topic: t, change: JSON.parse(String(payload)) as TicketChange }),
    );
    await client.subscribeAsync(topic, { qos: 1 });
    return messages;
  }

  it("publishes each change on its site's topic, and waits out a broker that is down", async () => {
    const port = await freePort();
    const cloud = await startTestCloud({
      config: busConfig({ mqtt: { url: `mqtt://127.0.0.1:${port}`, topicPrefix: 'acme/plantwatch' } }),
      logger: silentLogger(),
    });
    cleanups.push(() => cloud.stop());

    // No broker yet: the change waits, retried, and the cloud keeps serving.
    const early = await openTicket(cloud.store, { site: 'site-a' });
    await waitFor(() => (cloud.modules.bus.mqttHealth()?.failures ?? 0) >= 2, 'failed publishes');
    expect(cloud.modules.bus.mqttHealth()?.lastError).toMatch(/not connected/);
    expect((await cloudFetch(cloud, '/api/v1/ticket-events')).status).toBe(200);

    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port });
    cleanups.push(() => broker.close());
    const messages = await subscriber(broker, 'acme/plantwatch/sites/+/ticket-events');
    const later = await openTicket(cloud.store, { site: 'site b/2', gatewayId: 'gw-2' });
    await waitFor(() => messages.length >= 2, 'both changes at the subscriber');
    await cloud.modules.idle();

    expect(messages.map((m) => [m.topic, m.change.ticket.id])).toEqual([
      ['acme/plantwatch/sites/site-a/ticket-events', early.id],
      ['acme/plantwatch/sites/site b%2F2/ticket-events', later.id],
    ]);
    expect(messages[0]?.change).toMatchObject({
      schema: 'plantwatch.ticket-change/v1',
      type: 'ticket.opened',
    });
    expect(cloud.modules.bus.mqttHealth()).toMatchObject({ connected: true, consecutiveFailures: 0 });
  });
});

describe('bus config', () => {
  afterEach(removeTempDirs);

  it('applies defaults and reads durations', () => {
    expect(resolveBusConfig({})).toMatchObject({
      retry: { initialMs: 1000, maxMs: 600_000 },
      timeoutMs: 10_000,
      pollMs: 5000,
      webhooks: [],
    });
    expect(resolveBusConfig({ retry: { initial: '250ms', max: '1.5m' } }).retry).toEqual({
      initialMs: 250,
      maxMs: 90_000,
    });
    expect(resolveBusConfig({ mqtt: { url: 'mqtt://broker:1883' } }).mqtt?.topicPrefix).toBe('plantwatch');
    const twice = { name: 'erp', url: 'https://erp/hook', secret: 'x'.repeat(16) };
    expect(() => resolveBusConfig({ webhooks: [twice, twice] })).toThrow(/'erp' is used twice/);
  });

  it('reads the bus section of cloud.yaml, secrets from the environment', () => {
    const file = join(tempDir(), 'cloud.yaml');
    writeFileSync(
      file,
      [
        'bus:',
        '  retry: { initial: 2s, max: 5m }',
        '  webhooks:',
        '    - name: erp',
        '      url: https://erp.example.com/hooks/plantwatch',
        '      secret: ${PW_TEST_ERP_SECRET}',
        '      types: [ticket.opened]',
        '  mqtt: { url: mqtt://127.0.0.1:1883, topicPrefix: plantwatch }',
      ].join('\n'),
    );
    process.env.PW_TEST_ERP_SECRET = 'from-the-environment-123';
    try {
      const settings = resolveBusConfig(loadCloudConfig(file).bus);
      expect(settings.webhooks[0]).toMatchObject({ name: 'erp', secret: 'from-the-environment-123' });
      expect(settings.retry).toEqual({ initialMs: 2000, maxMs: 300_000 });
      writeFileSync(
        file,
        'bus:\n  webhooks:\n    - { name: x, url: ftp://x/y, secret: 0123456789abcdefgh }\n',
      );
      expect(() => loadCloudConfig(file)).toThrow(/cloud\.yaml:3: .*url/);
    } finally {
      delete process.env.PW_TEST_ERP_SECRET;
    }
  });

  it('names one topic level per site, never a wildcard', () => {
    expect(siteTopic('plantwatch', 'site-a')).toBe('plantwatch/sites/site-a/ticket-events');
    expect(siteTopic('pw/', 'a/b+#')).toBe('pw/sites/a%2Fb%2B%23/ticket-events');
  });
});
