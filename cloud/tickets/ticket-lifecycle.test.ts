import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../server.js';
import type {
  OutboxEvent,
  RuleTrackRecord,
  Ticket,
  TicketDetail,
  TicketView,
} from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, silentLogger, startTestCloud } from '../../test/helpers/stack.js';
import { sampleTicket } from '../../test/helpers/tickets.js';

const HOUR = 3_600_000;

describe.each(CLOUD_STORES)('ticket lifecycle and access on %s', (kind) => {
  let cloud: RunningCloud;
  let gatewayToken: string;
  let seq = 0;
  const tokens: Record<'admin' | 'engineerA' | 'viewerA' | 'revoked', string> = {
    admin: '',
    engineerA: '',
    viewerA: '',
    revoked: '',
  };

  const ingest = async (tickets: Ticket[], type: OutboxEvent['type'] = 'ticket.opened', backlog?: object) => {
    const events: OutboxEvent[] = tickets.map((ticket) => ({
      gatewayId: 'gw-1',
      seq: ++seq,
      type,
      at: new Date().toISOString(),
      ticket,
    }));
    const response = await fetch(`${cloud.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gatewayToken}` },
      body: JSON.stringify({ gatewayId: 'gw-1', events, ...(backlog ? { backlog } : {}) }),
    });
    expect(response.status).toBe(200);
  };

  const api = (who: keyof typeof tokens | string, path: string, method = 'GET', body?: unknown) =>
    fetch(`${cloud.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(who ? { authorization: `Bearer ${tokens[who as keyof typeof tokens] ?? who}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const move = (who: keyof typeof tokens, id: string, body: unknown) =>
    api(who, `/api/v1/tickets/${id}/transitions`, 'POST', body);
  const message = async (response: Response) => ((await response.json()) as { message: string }).message;

  const siteA = sampleTicket({ site: 'site-a', assetId: 'pump-1' });
  const siteB = sampleTicket({ site: 'site-b', assetId: 'fan-9', severity: 'medium' });
  const lateOne = sampleTicket({
    site: 'site-a',
    assetId: 'pump-2',
    severity: 'critical',
    rule: { id: 'bearing-outer-race', version: 'aaaaaaaaaaaa' },
    firstSeen: new Date(Date.now() - 48 * HOUR).toISOString(),
    dueAt: new Date(Date.now() - HOUR).toISOString(),
    prediction: {
      metric: 'velocityRmsMmS',
      threshold: 7.1,
      eta: new Date(Date.now() + 24 * HOUR).toISOString(),
      intervalStart: new Date(Date.now() + 12 * HOUR).toISOString(),
    },
  });

  beforeAll(async () => {
    cloud = await startTestCloud({ db: await newCloudDatabase(kind), logger: silentLogger() });
    const access = cloud.store.access;
    gatewayToken = await access.createGatewayToken('gw-1', { sites: ['site-a', 'site-b'] });
    await access.createUser({ username: 'boss', role: 'admin', sites: 'all' });
    await access.createUser({ username: 'ana', role: 'engineer', sites: ['site-a'] });
    await access.createUser({ username: 'vic', role: 'viewer', sites: ['site-a'] });
    await access.createUser({ username: 'gone', role: 'engineer', sites: 'all' });
    tokens.admin = await access.createApiToken('boss', 'tests');
    tokens.engineerA = await access.createApiToken('ana', 'tests');
    tokens.viewerA = await access.createApiToken('vic', 'tests');
    tokens.revoked = await access.createApiToken('gone', 'tests');
    await access.revokeUserTokens('gone');
    await ingest([siteA, siteB, lateOne], 'ticket.opened', {
      pending: 7,
      lastSeq: 10,
      oldestPendingAgeMs: 1500,
    });
  });
  afterAll(async () => {
    await cloud.stop();
    removeTempDirs();
  });

  describe('auth matrix', () => {
    it('refuses the review API without a token, with a revoked one, and with a gateway token', async () => {
      expect((await api('', '/api/v1/tickets')).status).toBe(401);
      const revoked = await api('revoked', '/api/v1/tickets');
      expect(revoked.status).toBe(401);
      expect((await api(gatewayToken, '/api/v1/tickets')).status).toBe(401);
      expect((await api('admin', '/api/v1/tickets')).status).toBe(200);
    });

    it('refuses ingest with a revoked gateway token', async () => {
      const token = await cloud.store.access.createGatewayToken('gw-old', { sites: ['site-a', 'site-b'] });
      await cloud.store.access.revokeGatewayTokens('gw-old');
      const response = await fetch(`${cloud.url}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ gatewayId: 'gw-old', events: [] }),
      });
      expect(response.status).toBe(401);
    });

    it("hides another site's tickets: not listed, 404 to read or act on", async () => {
      const list = (await (await api('engineerA', '/api/v1/tickets')).json()) as { tickets: TicketView[] };
      expect(list.tickets.map((t) => t.site)).not.toContain('site-b');
      expect(list.tickets.map((t) => t.id)).toContain(siteA.id);
      expect((await api('engineerA', `/api/v1/tickets/${siteB.id}`)).status).toBe(404);
      expect((await move('engineerA', siteB.id, { to: 'acknowledged' })).status).toBe(404);
      expect((await api('admin', `/api/v1/tickets/${siteB.id}`)).status).toBe(200);
      const fleet = (await (await api('engineerA', '/api/v1/gateways')).json()) as { gateways: unknown[] };
      expect(fleet.gateways).toHaveLength(1);
    });

    it('lets a viewer read but not act', async () => {
      const seen = await api('viewerA', `/api/v1/tickets/${siteA.id}`);
      expect(seen.status).toBe(200);
      expect(((await seen.json()) as TicketDetail).allowedTransitions).toEqual([]);
      const refused = await move('viewerA', siteA.id, { to: 'acknowledged' });
      expect(refused.status).toBe(403);
      expect(await message(refused)).toMatch(/engineer/);
      expect(
        (await api('viewerA', `/api/v1/tickets/${siteA.id}/comments`, 'POST', { text: 'hi' })).status,
      ).toBe(403);
    });
  });

  describe('lifecycle', () => {
    it('refuses a move the state does not allow with 409, naming the allowed ones', async () => {
      const response = await move('engineerA', siteA.id, {
        to: 'closed',
      });
      expect(response.status).toBe(409);
      expect(await message(response)).toBe(
        'a new ticket cannot become closed; it may become acknowledged, in_progress, false_positive, duplicate',
      );
    });

    it('walks new → acknowledged → in_progress → resolved → closed with assignee, comments and audit', async () => {
      expect((await move('engineerA', siteA.id, { to: 'acknowledged', comment: 'on it' })).status).toBe(200);
      const assigned = await api('engineerA', `/api/v1/tickets/${siteA.id}/assignee`, 'PUT', {
        assignee: 'ana',
      });
      expect(((await assigned.json()) as TicketView).assignee).toBe('ana');
      expect((await move('engineerA', siteA.id, { to: 'in_progress' })).status).toBe(200);

      const noCloseOut = await move('engineerA', siteA.id, { to: 'resolved' });
      expect(noCloseOut.status).toBe(400);
      expect(await message(noCloseOut)).toMatch(/^body\/feedback: resolving needs the close-out/);
      const noMode = await move('engineerA', siteA.id, {
        to: 'resolved',
        feedback: { outcome: 'confirmed', actionTaken: 'replaced the bearing' },
      });
      expect(noMode.status).toBe(400);
      expect(await message(noMode)).toMatch(/^body\/feedback\/failureMode/);
      const badOutcome = await move('engineerA', siteA.id, {
        to: 'resolved',
        feedback: { outcome: 'maybe', actionTaken: 'x' },
      });
      expect(badOutcome.status).toBe(400);
      expect(await message(badOutcome)).toContain('body/feedback/outcome');

      const closeOut = {
        outcome: 'confirmed',
        failureMode: 'unbalance',
        actionTaken: 'balanced the impeller',
        failureAt: new Date(Date.parse(siteA.firstSeen) + 1000).toISOString(),
      };
      // The edge still sees the condition: resolving needs the engineer to say so.
      const stillActive = await move('engineerA', siteA.id, { to: 'resolved', feedback: closeOut });
      expect(stillActive.status).toBe(409);
      const refusal = (await stillActive.json()) as { code: string; message: string };
      expect(refusal.code).toBe('PW_CONDITION_ACTIVE');
      const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
      expect(metrics).toContain(
        'plantwatch_cloud_ticket_action_refusals_total{code="PW_CONDITION_ACTIVE"} 1',
      );
      expect(refusal.message).toMatch(
        /^body\/confirmActive: the condition is still active at the edge \(last seen .*\); to resolve it anyway, send confirmActive: true/,
      );
      const future = await move('engineerA', siteA.id, {
        to: 'resolved',
        confirmActive: true,
        feedback: { ...closeOut, failureAt: new Date(Date.now() + 2 * HOUR).toISOString() },
      });
      expect(future.status).toBe(400);
      expect(await message(future)).toMatch(/^body\/feedback\/failureAt: .* is in the future/);
      const resolved = await move('engineerA', siteA.id, {
        to: 'resolved',
        confirmActive: true,
        feedback: closeOut,
      });
      expect(resolved.status).toBe(200);
      const view = (await resolved.json()) as TicketView;
      expect(view.status).toBe('resolved');
      expect(view.closeOut).toEqual({ ...closeOut, resolvedWhileActive: true });
      expect((await move('engineerA', siteA.id, { to: 'closed' })).status).toBe(200);
      expect((await move('engineerA', siteA.id, { to: 'in_progress' })).status).toBe(409);

      const detail = (await (await api('viewerA', `/api/v1/tickets/${siteA.id}`)).json()) as TicketDetail;
      expect(detail.status).toBe('closed');
      expect(detail.allowedTransitions).toEqual([]);
      expect(detail.comments.map((c) => [c.author, c.text])).toEqual([['ana', 'on it']]);
      expect(detail.audit.map((a) => [a.actor, a.action, a.detail.to ?? null])).toEqual([
        ['gateway:gw-1', 'opened', null],
        ['ana', 'transition', 'acknowledged'],
        ['ana', 'assign', 'ana'],
        ['ana', 'transition', 'in_progress'],
        ['ana', 'transition', 'resolved'],
        ['ana', 'transition', 'closed'],
      ]);
    });

    it('keeps the engineers’ status when the edge replays or updates the ticket', async () => {
      await ingest([{ ...siteA, occurrences: 5, lastSeen: new Date().toISOString() }], 'ticket.updated');
      const after = (await (await api('admin', `/api/v1/tickets/${siteA.id}`)).json()) as TicketDetail;
      expect(after.status).toBe('closed');
      expect(after.occurrences).toBe(5);
    });

    it('records false positives and duplicates with what they need', async () => {
      const other = sampleTicket({ site: 'site-a', assetId: 'pump-3' });
      const third = sampleTicket({ site: 'site-a', assetId: 'pump-3' });
      await ingest([other, third]);
      expect(
        (await move('engineerA', other.id, { to: 'false_positive', comment: 'sensor knocked' })).status,
      ).toBe(200);
      const noTarget = await move('engineerA', third.id, { to: 'duplicate' });
      expect(noTarget.status).toBe(400);
      expect(await message(noTarget)).toMatch(/^body\/duplicateOf/);
      const dup = await move('engineerA', third.id, { to: 'duplicate', duplicateOf: other.id });
      expect(((await dup.json()) as TicketView).duplicateOf).toBe(other.id);
    });
  });

  describe('queue, SLA and fleet', () => {
    it('flags an overdue ticket, filters on it and sorts by urgency', async () => {
      const overdue = (await (await api('admin', '/api/v1/tickets?overdue=true')).json()) as {
        tickets: TicketView[];
      };
      expect(overdue.tickets.map((t) => t.id)).toEqual([lateOne.id]);
      expect(overdue.tickets[0]?.overdue).toBe(true);
      const predicted = (await (await api('admin', '/api/v1/tickets?predicted=true')).json()) as {
        tickets: TicketView[];
      };
      expect(predicted.tickets.map((t) => t.id)).toEqual([lateOne.id]);

      const first = (await (
        await api('admin', '/api/v1/tickets?status=open&sort=urgency&limit=1')
      ).json()) as {
        tickets: TicketView[];
        nextCursor: string;
      };
      expect(first.tickets[0]?.id).toBe(lateOne.id);
      const second = (await (
        await api('admin', `/api/v1/tickets?status=open&sort=urgency&limit=1&cursor=${first.nextCursor}`)
      ).json()) as { tickets: TicketView[] };
      expect(second.tickets[0]?.id).toBe(siteB.id);
      expect((await api('admin', '/api/v1/tickets?sort=urgency&cursor=garbage')).status).toBe(400);
    });

    it('gives each ticket a due date from its severity when the edge sent none', async () => {
      const view = (await (await api('admin', `/api/v1/tickets/${siteB.id}`)).json()) as TicketView;
      expect(Date.parse(view.dueAt) - Date.parse(siteB.firstSeen)).toBe(336 * HOUR);
      expect(view.overdue).toBe(false);
    });

    it('shows the fleet with the backlog each gateway reports', async () => {
      const fleet = (await (await api('admin', '/api/v1/gateways')).json()) as {
        gateways: { gatewayId: string; backlog?: object; lastSeen?: string }[];
      };
      const gw = fleet.gateways.find((g) => g.gatewayId === 'gw-1');
      expect(gw?.backlog).toEqual({ pending: 7, lastSeq: 10, oldestPendingAgeMs: 1500 });
      expect(gw?.lastSeen).toBeDefined();
    });
  });

  describe('rule track record', () => {
    it('counts fired, confirmed and false positives per rule version, with the median lead time', async () => {
      const response = await api('viewerA', '/api/v1/rules/track-record');
      const { rules } = (await response.json()) as { rules: RuleTrackRecord[] };
      const velocity = rules.find((r) => r.ruleId === 'velocity-rms-zone-d');
      expect(velocity).toMatchObject({
        ruleVersion: '0123456789abcdef',
        fired: 3,
        confirmed: 1,
        falsePositives: 1,
        duplicates: 1,
        precision: 0.5,
      });
      // From the opening to the failure time the engineer gave, not to when they resolved it.
      expect(velocity).toMatchObject({ medianLeadTimeMs: 1000, leadTimeSamples: 1 });
      expect(rules.find((r) => r.ruleId === 'bearing-outer-race')).toMatchObject({
        fired: 1,
        predicted: 1,
        open: 1,
      });
      // The viewer sees site-a only; an admin also counts site-b's ticket.
      const all = (await (await api('admin', '/api/v1/rules/track-record')).json()) as {
        rules: RuleTrackRecord[];
      };
      expect(all.rules.find((r) => r.ruleId === 'velocity-rms-zone-d')?.fired).toBe(4);
    });

    it('counts only confirmed failures with a given failure time in the lead time; unknown stays unknown', async () => {
      const rule = { id: 'lead-time-rule', version: 'bbbbbbbbbbbb' };
      const openedAt = new Date(Date.now() - 48 * HOUR).toISOString();
      const known = sampleTicket({ site: 'site-a', assetId: 'pump-7', rule, firstSeen: openedAt });
      const unknown = sampleTicket({
        site: 'site-a',
        assetId: 'pump-8',
        rule,
        firstSeen: openedAt,
        condition: 'cleared',
        clearedAt: new Date(Date.now() - HOUR).toISOString(),
      });
      await ingest([known, unknown]);
      for (const t of [known, unknown]) {
        expect((await move('engineerA', t.id, { to: 'acknowledged' })).status).toBe(200);
      }
      const failureAt = new Date(Date.parse(openedAt) + 6 * HOUR).toISOString();
      const feedback = {
        outcome: 'confirmed',
        failureMode: 'outer_race',
        actionTaken: 'replaced DE bearing',
      };
      const withTime = await move('engineerA', known.id, {
        to: 'resolved',
        confirmActive: true,
        feedback: { ...feedback, failureAt },
      });
      expect(withTime.status).toBe(200);
      // Cleared at the edge: no confirmation needed, and no failure time given.
      const withoutTime = await move('engineerA', unknown.id, { to: 'resolved', feedback });
      expect(withoutTime.status).toBe(200);
      const view = (await withoutTime.json()) as TicketView;
      expect(view.closeOut).toEqual(feedback);

      const { rules } = (await (await api('admin', '/api/v1/rules/track-record')).json()) as {
        rules: RuleTrackRecord[];
      };
      expect(rules.find((r) => r.ruleId === rule.id)).toMatchObject({
        confirmed: 2,
        leadTimeSamples: 1,
        medianLeadTimeMs: 6 * HOUR,
      });
    });
  });
});
