import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../server.js';
import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch } from '../../test/helpers/cloud-client.js';
import { capturingLogger, removeTempDirs, startTestCloud } from '../../test/helpers/stack.js';
import { sampleEvents, sampleTicket } from '../../test/helpers/tickets.js';

describe.each(CLOUD_STORES)('cloud ingest on %s', (kind) => {
  let cloud: RunningCloud;
  let token: string;
  let otherToken: string;
  const log = capturingLogger();

  beforeAll(async () => {
    cloud = await startTestCloud({ logger: log.logger, db: await newCloudDatabase(kind) });
    token = await cloud.store.access.createGatewayToken('gw-1', { sites: ['site-a'] });
    otherToken = await cloud.store.access.createGatewayToken('gw-2', { sites: ['site-a'] });
  });
  afterAll(async () => {
    await cloud.stop();
    removeTempDirs();
  });

  const ingest = (body: unknown, bearer?: string, rawBody?: string) =>
    fetch(`${cloud.url}/api/v1/ingest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: rawBody ?? JSON.stringify(body),
    });

  const gateway = async (id: string) =>
    (
      (await (await cloudFetch(cloud, '/api/v1/gateways')).json()) as { gateways: { gatewayId: string }[] }
    ).gateways.find((g) => g.gatewayId === id) as Record<string, unknown> | undefined;

  describe('ingest', () => {
    it('answers 401 without a token and with an unknown one', async () => {
      const body = { gatewayId: 'gw-1', events: sampleEvents('gw-1', [1]) };
      const none = await ingest(body);
      expect(none.status).toBe(401);
      expect(((await none.json()) as { message: string }).message).toMatch(/Authorization: Bearer/);
      expect((await ingest(body, 'pwgw_not-a-real-token')).status).toBe(401);
      expect(await gateway('gw-1')).toBeUndefined();
    });

    it("answers 403 when the token's gateway differs from the body's", async () => {
      const response = await ingest({ gatewayId: 'gw-1', events: sampleEvents('gw-1', [1]) }, otherToken);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { message: string }).message).toContain(
        "belongs to gateway 'gw-2', not 'gw-1'",
      );
    });

    it('answers 400 naming the field, and applies none of a partly bad batch', async () => {
      const events = sampleEvents('gw-1', [1, 2, 3]) as unknown as Record<string, unknown>[];
      (events[2] as { seq: unknown }).seq = 'three';
      const response = await ingest({ gatewayId: 'gw-1', events }, token);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(
        'body/events/2/seq must be integer',
      );
      const badFault = sampleEvents('gw-1', [1]);
      (badFault[0] as { ticket: { fault: string } }).ticket.fault = 'gremlins';
      const second = await ingest({ gatewayId: 'gw-1', events: badFault }, token);
      expect(second.status).toBe(400);
      expect(((await second.json()) as { message: string }).message).toContain('body/events/0/ticket/fault');
      expect((await ingest(undefined, token, '{"gatewayId": "gw-1", "events": [')).status).toBe(400);
      const list = (await (await cloudFetch(cloud, '/api/v1/tickets')).json()) as { tickets: unknown[] };
      expect(list.tickets).toEqual([]);
    });

    it('rejects an event of another gateway inside a batch', async () => {
      const events = [...sampleEvents('gw-1', [1]), ...sampleEvents('gw-2', [2])];
      const response = await ingest({ gatewayId: 'gw-1', events }, token);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain('body/events/1/gatewayId');
    });

    it('stores each event once when the same batch is replayed', async () => {
      const ticket = sampleTicket({ gatewayId: 'gw-1' });
      const events = sampleEvents('gw-1', [1, 2, 3], ticket);
      const first = await ingest({ gatewayId: 'gw-1', events }, token);
      expect(await first.json()).toEqual({ ackedSeq: 3, duplicates: 0 });
      const replay = await ingest({ gatewayId: 'gw-1', events }, token);
      expect(await replay.json()).toEqual({ ackedSeq: 3, duplicates: 3 });
      expect(await gateway('gw-1')).toMatchObject({ ackedSeq: 3, eventsReceived: 3, duplicatesIgnored: 3 });
      const stored = (await (await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}`)).json()) as {
        occurrences: number;
      };
      expect(stored.occurrences).toBe(3);
      const list = (await (await cloudFetch(cloud, '/api/v1/tickets')).json()) as { tickets: unknown[] };
      expect(list.tickets).toHaveLength(1);
    });

    it('holds events behind a gap, reports it, and applies them once the gap is filled', async () => {
      const ticket = sampleTicket({ gatewayId: 'gw-1' });
      const events: OutboxEvent[] = sampleEvents('gw-1', [4, 5, 6], ticket).map((e) => ({
        ...e,
        type: 'ticket.opened',
      }));
      const ahead = await ingest({ gatewayId: 'gw-1', events: events.slice(1) }, token);
      expect(await ahead.json()).toEqual({ ackedSeq: 3, duplicates: 0 });
      expect(await gateway('gw-1')).toMatchObject({ gap: { firstMissingSeq: 4, heldEvents: 2 } });
      expect((await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}`)).status).toBe(404);
      const filled = await ingest({ gatewayId: 'gw-1', events: events.slice(0, 1) }, token);
      expect(await filled.json()).toEqual({ ackedSeq: 6, duplicates: 0 });
      expect(await gateway('gw-1')).not.toHaveProperty('gap');
      expect((await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}`)).status).toBe(200);
    });

    it('applies the events behind one the gateway set aside, shows why its seq is missing, and heals when it comes', async () => {
      const saToken = await cloud.store.access.createGatewayToken('gw-sa', { sites: ['site-a'] });
      const at = new Date().toISOString();
      const [a, b, c, d] = ['pump-1', 'pump-2', 'pump-2', 'pump-3'].map((assetId) =>
        sampleTicket({ gatewayId: 'gw-sa', assetId }),
      ) as [Ticket, Ticket, Ticket, Ticket];
      const event = (seq: number, ticket: Ticket, prevSeqForAsset: number): OutboxEvent => ({
        gatewayId: 'gw-sa',
        seq,
        type: 'ticket.opened',
        at,
        prevSeqForAsset,
        ticket,
      });
      // seq 2 (pump-2) is refused at the gateway; seq 3 is pump-2's next event, chained behind it.
      const behind = [event(1, a, 0), event(3, c, 2), event(4, d, 0)];
      const without = await ingest({ gatewayId: 'gw-sa', events: behind }, saToken);
      expect(await without.json()).toEqual({ ackedSeq: 1, duplicates: 0 });
      expect((await cloudFetch(cloud, `/api/v1/tickets/${c.id}`)).status).toBe(404);
      expect((await cloudFetch(cloud, `/api/v1/tickets/${d.id}`)).status).toBe(200);

      const setAside = {
        seq: 2,
        type: 'ticket.opened',
        ticketId: b.id,
        reason: '400 body/events/1/ticket/evidence/windowStart must match format "date-time"',
        attempts: 5,
        at,
      };
      const told = await ingest(
        { gatewayId: 'gw-sa', events: behind.slice(1), setAside: [setAside] },
        saToken,
      );
      // The watermark stays below the missing seq; settledSeq tells the gateway not to resend 3 and 4.
      expect(await told.json()).toEqual({ ackedSeq: 1, duplicates: 2, settledSeq: 4 });
      expect((await cloudFetch(cloud, `/api/v1/tickets/${c.id}`)).status).toBe(200);
      expect(await gateway('gw-sa')).toMatchObject({
        ackedSeq: 1,
        gap: { firstMissingSeq: 2, heldEvents: 2 },
        setAside: [setAside],
      });
      // A report never refuses a batch for what the refused event held.
      const odd = { ...setAside, seq: 9, type: 'not-a-type', ticketId: 'not a ULID' };
      expect(
        (await ingest({ gatewayId: 'gw-sa', events: [event(1, a, 0)], setAside: [odd] }, saToken)).status,
      ).toBe(200);

      const resent = await ingest({ gatewayId: 'gw-sa', events: [event(2, b, 0)] }, saToken);
      expect(await resent.json()).toEqual({ ackedSeq: 4, duplicates: 0 });
      const healed = await gateway('gw-sa');
      expect(healed).toMatchObject({ ackedSeq: 4 });
      expect(healed).not.toHaveProperty('gap');
      // A batch without a report: the gateway has no set-aside events left.
      expect(healed).not.toHaveProperty('setAside');
      expect((await cloudFetch(cloud, `/api/v1/tickets/${b.id}`)).status).toBe(200);
    });

    it('keeps the newer state of a ticket when its older event, set aside at the gateway, is resent', async () => {
      const lateToken = await cloud.store.access.createGatewayToken('gw-sa-late', { sites: ['site-a'] });
      const at = new Date().toISOString();
      const ticket = sampleTicket({ gatewayId: 'gw-sa-late', assetId: 'pump-5' });
      const opened: OutboxEvent = {
        gatewayId: 'gw-sa-late',
        seq: 1,
        type: 'ticket.opened',
        at,
        prevSeqForAsset: 0,
        ticket,
      };
      const updated: OutboxEvent = {
        ...opened,
        seq: 2,
        type: 'ticket.updated',
        prevSeqForAsset: 1,
        ticket: { ...ticket, occurrences: 2 },
      };
      const setAside = [
        { seq: 1, type: 'ticket.opened', ticketId: ticket.id, reason: '413 too large', attempts: 5, at },
      ];
      const ahead = await ingest({ gatewayId: 'gw-sa-late', events: [updated], setAside }, lateToken);
      expect(await ahead.json()).toEqual({ ackedSeq: 0, duplicates: 0, settledSeq: 2 });
      const current = async () =>
        ((await (await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}`)).json()) as { occurrences: number })
          .occurrences;
      expect(await current()).toBe(2);
      const resent = await ingest({ gatewayId: 'gw-sa-late', events: [opened] }, lateToken);
      expect(await resent.json()).toEqual({ ackedSeq: 2, duplicates: 0 });
      expect(await current()).toBe(2);
    });

    it('applies batches of several gateways arriving at once, each with its own answer', async () => {
      // On SQLite they share one transaction (group commit); each gateway's result stays its own.
      const results = await Promise.all([
        cloud.store.ingest.applyEvents('gw-c1', sampleEvents('gw-c1', [1, 2, 3])),
        cloud.store.ingest.applyEvents('gw-c2', sampleEvents('gw-c2', [1, 2])),
        cloud.store.ingest.applyEvents('gw-c3', sampleEvents('gw-c3', [2, 3])),
        cloud.store.ingest.applyEvents('gw-c4', sampleEvents('gw-c4', [1])),
      ]);
      expect(results).toEqual([
        { ackedSeq: 3, applied: 3, duplicates: 0, heldBehindGap: 0 },
        { ackedSeq: 2, applied: 2, duplicates: 0, heldBehindGap: 0 },
        { ackedSeq: 0, applied: 0, duplicates: 0, heldBehindGap: 2 },
        { ackedSeq: 1, applied: 1, duplicates: 0, heldBehindGap: 0 },
      ]);
    });

    it('applies an event ahead of a backlog when its asset has nothing older missing, and keeps per-asset order', async () => {
      const pumpTicket = sampleTicket({ gatewayId: 'gw-ooo', assetId: 'pump-7' });
      const fanTicket = sampleTicket({ gatewayId: 'gw-ooo', assetId: 'fan-2' });
      const event = (seq: number, prevSeqForAsset: number, ticket: typeof pumpTicket): OutboxEvent => ({
        gatewayId: 'gw-ooo',
        seq,
        prevSeqForAsset,
        type: prevSeqForAsset === 0 ? 'ticket.opened' : 'ticket.updated',
        at: new Date().toISOString(),
        ticket: { ...ticket, occurrences: seq },
      });
      // Seqs 1-3 and 5 are the pump's chain, 4 opens the fan: the newest (4, 5) arrive first.
      const newest = [event(4, 0, fanTicket), event(5, 3, pumpTicket)];
      const ahead = await cloud.store.ingest.applyEvents('gw-ooo', newest);
      expect(ahead).toEqual({ ackedSeq: 0, applied: 1, duplicates: 0, heldBehindGap: 2 });
      expect((await cloudFetch(cloud, `/api/v1/tickets/${fanTicket.id}`)).status).toBe(200);
      expect((await cloudFetch(cloud, `/api/v1/tickets/${pumpTicket.id}`)).status).toBe(404);
      expect(await gateway('gw-ooo')).toMatchObject({ gap: { firstMissingSeq: 1, heldEvents: 2 } });

      const backlog = [event(1, 0, pumpTicket), event(2, 1, pumpTicket), event(3, 2, pumpTicket)];
      const drained = await cloud.store.ingest.applyEvents('gw-ooo', backlog);
      expect(drained).toEqual({ ackedSeq: 5, applied: 4, duplicates: 0, heldBehindGap: 0 });
      const pump = (await (await cloudFetch(cloud, `/api/v1/tickets/${pumpTicket.id}`)).json()) as {
        occurrences: number;
      };
      expect(pump.occurrences).toBe(5);
      expect(await cloud.store.ingest.applyEvents('gw-ooo', newest)).toMatchObject({
        ackedSeq: 5,
        duplicates: 2,
      });
    });

    it('marks a ticket the cloud first saw long after it opened as historical', async () => {
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      const late = sampleTicket({ gatewayId: 'gw-late', firstSeen: hourAgo, lastSeen: hourAgo });
      const fresh = sampleTicket({ gatewayId: 'gw-late' });
      await cloud.store.ingest.applyEvents('gw-late', [
        ...sampleEvents('gw-late', [1], late),
        ...sampleEvents('gw-late', [2], fresh),
      ]);
      expect(await cloud.store.review.get(late.id)).toMatchObject({ historical: true });
      expect(await cloud.store.review.get(fresh.id)).not.toHaveProperty('historical');
    });

    it('pages the ticket list by cursor and validates filters', async () => {
      const list = (await (await cloudFetch(cloud, '/api/v1/tickets?status=new&limit=1')).json()) as {
        tickets: { id: string }[];
        nextCursor?: string;
      };
      expect(list.tickets).toHaveLength(1);
      expect(list.nextCursor).toBe(list.tickets[0]?.id);
      const next = (await (
        await cloudFetch(cloud, `/api/v1/tickets?limit=1&cursor=${list.nextCursor}`)
      ).json()) as {
        tickets: { id: string }[];
      };
      expect((next.tickets[0]?.id ?? '') < (list.tickets[0]?.id ?? '')).toBe(true);
      const bad = await cloudFetch(cloud, '/api/v1/tickets?status=exploded');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toContain('querystring/status');
    });

    it('never writes a token into its logs', async () => {
      await ingest({ gatewayId: 'gw-1', events: sampleEvents('gw-1', [1]) }, token);
      const text = JSON.stringify(log.lines());
      expect(text).not.toContain(token);
      expect(text).not.toContain(otherToken);
    });

    it('documents the API as OpenAPI at /docs, served without any CDN', async () => {
      const spec = (await (await fetch(`${cloud.url}/docs/json`)).json()) as {
        paths: Record<string, unknown>;
        components: { securitySchemes: Record<string, unknown> };
      };
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/ingest',
          '/api/v1/tickets',
          '/api/v1/tickets/{id}',
          '/api/v1/gateways',
          '/api/v1/tickets/{id}/transitions',
          '/api/v1/tickets/{id}/assignee',
          '/api/v1/tickets/{id}/comments',
          '/api/v1/rules/track-record',
          '/api/v1/login',
          '/api/v1/users',
          '/api/v1/telemetry',
          '/api/v1/assets/{assetId}/trend',
        ]),
      );
      expect(spec.components.securitySchemes.gatewayToken).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(spec.components.securitySchemes.userToken).toMatchObject({ type: 'http', scheme: 'bearer' });
      const page = await fetch(`${cloud.url}/docs`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('swagger-ui');
      expect(html).not.toMatch(/src="https?:\/\//);
    });

    it('reports health', async () => {
      expect(await (await fetch(`${cloud.url}/healthz`)).json()).toEqual({ status: 'ok' });
    });
  });
});
