import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCloudConfig } from '../config/cloud-config.js';
import { onCallAt } from './on-call.js';
import { type RoutingConfig, routingProblems } from './routing-config.js';
import type { RunningCloud } from '../server.js';
import { ManualClock } from '../clock.js';
import type { Ticket, TicketDetail } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch, cloudJson } from '../../test/helpers/cloud-client.js';
import { removeTempDirs, startTestCloud } from '../../test/helpers/stack.js';
import { openTicket, sendTicketEvent } from '../../test/helpers/tickets.js';

const MINUTE = 60_000;
// Europe/Berlin is UTC+1 in early March 2026; 2026-03-02 is a Monday.
const MONDAY_0900_BERLIN = Date.parse('2026-03-02T08:00:00Z');
const MONDAY_0300_BERLIN = Date.parse('2026-03-02T02:00:00Z');
const SATURDAY_1200_BERLIN = Date.parse('2026-03-07T11:00:00Z');
const SATURDAY_2330_BERLIN = Date.parse('2026-03-07T22:30:00Z');

const ROUTING: RoutingConfig = {
  engineers: {
    alice: { skills: ['bearings', 'vibration'] },
    bob: { skills: ['vibration'] },
    erin: { skills: ['bearings'] },
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
          engineers: ['alice', 'erin'],
        },
        {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          from: '22:00',
          to: '06:00',
          engineers: ['bob'],
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
      minSeverity: 'medium',
      skill: 'bearings',
    },
    { name: 'everything else', skill: 'vibration' },
  ],
  acknowledgeWithin: { critical: '15m' },
};

type Audit = TicketDetail['audit'][number];

describe('on-call schedule (pure)', () => {
  const site = ROUTING.sites?.['site-a'];
  if (!site) throw new Error('fixture');
  const who = (atMs: number) => onCallAt(site, atMs);

  it('puts the day shift on call on a weekday morning in the site time zone', () => {
    expect(who(MONDAY_0900_BERLIN)).toEqual([
      { engineer: 'alice', shift: 'Mon 06:00–14:00 Europe/Berlin' },
      { engineer: 'erin', shift: 'Mon 06:00–14:00 Europe/Berlin' },
    ]);
    // 05:59 Berlin is 04:59 UTC: still the night shift that began on Sunday.
    expect(who(Date.parse('2026-03-02T04:59:00Z'))).toEqual([
      { engineer: 'bob', shift: 'Sun 22:00–06:00 Europe/Berlin' },
    ]);
    expect(who(Date.parse('2026-03-02T05:00:00Z')).map((o) => o.engineer)).toEqual(['alice', 'erin']);
    // 14:00 ends the day shift.
    expect(who(Date.parse('2026-03-02T13:00:00Z'))).toEqual([]);
  });

  it('runs an overnight shift into the next morning, and nobody is on at a weekend noon', () => {
    expect(who(SATURDAY_2330_BERLIN)).toEqual([{ engineer: 'bob', shift: 'Sat 22:00–06:00 Europe/Berlin' }]);
    expect(who(MONDAY_0300_BERLIN)).toEqual([{ engineer: 'bob', shift: 'Sun 22:00–06:00 Europe/Berlin' }]);
    expect(who(SATURDAY_1200_BERLIN)).toEqual([]);
  });

  it('follows daylight saving time: 06:30 Berlin is 04:30 UTC in summer', () => {
    // 2026-07-06 is a Monday, Berlin at UTC+2.
    expect(who(Date.parse('2026-07-06T04:30:00Z')).map((o) => o.engineer)).toEqual(['alice', 'erin']);
    expect(who(Date.parse('2026-03-02T04:30:00Z')).map((o) => o.engineer)).toEqual(['bob']);
  });

  it('names every semantic problem by its path', () => {
    const problems = routingProblems({
      engineers: { alice: { skills: ['bearings'] } },
      sites: {
        'site-a': {
          timezone: 'Europe/Nowhere',
          lead: 'zoe',
          onCall: [{ days: ['mon'], from: '08:00', to: '08:00', engineers: ['alice', 'mallory'] }],
        },
      },
      rules: [{ name: 'r', skill: 'welding' }],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^routing\/sites\/site-a\/timezone: 'Europe\/Nowhere' is not an IANA time zone/),
      expect.stringMatching(/^routing\/sites\/site-a\/lead: 'zoe' is not in routing\.engineers/),
      expect.stringMatching(/^routing\/sites\/site-a\/onCall\/0\/to: equals 'from'/),
      expect.stringMatching(
        /^routing\/sites\/site-a\/onCall\/0\/engineers\/1: 'mallory' is not in routing\.engineers/,
      ),
      expect.stringMatching(/^routing\/rules\/0\/skill: no engineer has skill 'welding'/),
    ]);
    expect(routingProblems(ROUTING)).toEqual([]);
  });

  it('ships a sample that loads as cloud.yaml and passes the checks', () => {
    const config = loadCloudConfig(fileURLToPath(new URL('./sample-routing.yaml', import.meta.url)));
    expect(config.routing?.rules?.[0]?.name).toBe('bearing faults on pumps');
    expect(routingProblems(config.routing ?? {})).toEqual([]);
  });
});

describe.each(CLOUD_STORES)('routing and escalation on %s', (kind) => {
  let cloud: RunningCloud;
  let clock: ManualClock;
  const running: RunningCloud[] = [];

  const start = async (config: RoutingConfig = ROUTING, at = MONDAY_0900_BERLIN) => {
    clock = new ManualClock(at);
    cloud = await startTestCloud({ db: await newCloudDatabase(kind), config: { routing: config }, clock });
    running.push(cloud);
    const access = cloud.store.access;
    for (const username of ['alice', 'bob', 'erin']) {
      await access.createUser({ username, role: 'engineer', sites: ['site-a'] });
    }
    await access.createUser({ username: 'dave', role: 'engineer', sites: 'all' });
  };

  const raise = async (overrides: Partial<Ticket>): Promise<TicketDetail> => {
    const ticket = await openTicket(cloud.store, { site: 'site-a', ...overrides });
    await cloud.modules.idle();
    return detail(ticket.id);
  };
  const detail = (id: string) => cloudJson<TicketDetail>(cloud, `/api/v1/tickets/${id}`);
  const routed = (t: TicketDetail): Audit | undefined =>
    t.audit.find((a) => a.action === 'assign' && a.actor === 'routing');
  const escalations = (t: TicketDetail): Audit[] => t.audit.filter((a) => a.action === 'escalate');

  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
    removeTempDirs();
  });

  describe('with the sample routing', () => {
    beforeEach(() => start());

    it('assigns by site, asset group, fault and skill, and records why in the audit trail', async () => {
      const bearing = await raise({ assetId: 'pump-1', fault: 'outer_race', severity: 'high' });
      expect(bearing.assignee).toBe('alice');
      const entry = routed(bearing);
      expect(entry?.detail).toMatchObject({ from: null, to: 'alice' });
      expect(entry?.detail.reason).toBe(
        'rule "bearing faults on pumps": on call at site-a (Mon 06:00–14:00 Europe/Berlin), skill bearings, ' +
          '0 open tickets (fewest of 2)',
      );

      // Same pump, but unbalance is not a bearing fault: the other rule, which needs vibration (erin has not).
      const unbalance = await raise({ assetId: 'pump-1', fault: 'unbalance', severity: 'high' });
      expect(routed(unbalance)?.detail.reason).toMatch(/^rule "everything else": .*skill vibration/);
      expect(unbalance.assignee).toBe('alice');

      // A bearing fault on an asset outside the group, and one too mild for the rule.
      const fan = await raise({ assetId: 'fan-1', fault: 'outer_race', severity: 'high' });
      expect(routed(fan)?.detail.reason).toMatch(/^rule "everything else"/);
      const mild = await raise({ assetId: 'pump-3', fault: 'cage', severity: 'low' });
      expect(routed(mild)?.detail.reason).toMatch(/^rule "everything else"/);

      // The asset registry's group counts too.
      await cloud.store.database.run(
        'INSERT INTO assets (asset_id, site, asset_group, updated_at) VALUES (?, ?, ?, ?)',
        ['motor-7', 'site-a', 'pumps', new Date().toISOString()],
      );
      const registered = await raise({ assetId: 'motor-7', fault: 'inner_race', severity: 'critical' });
      expect(routed(registered)?.detail.reason).toMatch(/^rule "bearing faults on pumps"/);
      expect(registered.assignee).toBe('erin');

      const status = await cloudJson<{ source: string; counts: Record<string, number> }>(
        cloud,
        '/api/v1/routing/status',
      );
      expect(status.source).toBe('file');
      expect(status.counts).toEqual({ routed: 5, escalated: 0, unrouted: 0 });
    });

    it('balances the load: two tickets go to two engineers, the next to the one with fewer', async () => {
      // A minute apart, so "least recently assigned" breaks ties between equally loaded engineers.
      const first = await raise({ assetId: 'pump-1', fault: 'outer_race' });
      clock.advance(MINUTE);
      const second = await raise({ assetId: 'pump-2', fault: 'inner_race' });
      expect([first.assignee, second.assignee].sort()).toEqual(['alice', 'erin']);
      expect(routed(second)?.detail.reason).toContain('0 open tickets (fewest of 2)');
      // alice resolves hers; she has fewer open tickets now.
      const alices = first.assignee === 'alice' ? first : second;
      await cloud.store.review.transition(alices.id, 'alice', { to: 'false_positive' }, clock.now());
      clock.advance(MINUTE);
      const third = await raise({ assetId: 'pump-3', fault: 'cage' });
      expect(third.assignee).toBe('alice');
      clock.advance(MINUTE);
      const fourth = await raise({ assetId: 'pump-4', fault: 'cage' });
      expect(fourth.assignee).toBe('erin');
      expect(routed(fourth)?.detail.reason).toContain('1 open ticket (fewest of 2)');
    });

    it('prefers fewer open tickets over taking turns', async () => {
      // alice already works two tickets someone gave her by hand (at another site).
      for (const assetId of ['fan-8', 'fan-9']) {
        const other = await raise({ site: 'site-b', assetId });
        await cloud.store.review.assign(other.id, 'dave', { assignee: 'alice' }, clock.now());
      }
      const first = await raise({ assetId: 'pump-1', fault: 'outer_race' });
      clock.advance(MINUTE);
      const second = await raise({ assetId: 'pump-2', fault: 'outer_race' });
      // Taking turns would give the second to alice (never auto-assigned); the load says erin.
      expect([first.assignee, second.assignee]).toEqual(['erin', 'erin']);
      expect(routed(second)?.detail.reason).toContain('1 open ticket (fewest of 2)');
      clock.advance(MINUTE);
      // Equal load (2 each): whoever routing assigned least recently.
      const third = await raise({ assetId: 'pump-3', fault: 'outer_race' });
      expect(third.assignee).toBe('alice');
    });

    it('only picks enabled engineers who can see the site', async () => {
      await cloud.store.access.updateUser('erin', { disabled: true });
      const first = await raise({ assetId: 'pump-1', fault: 'outer_race' });
      clock.advance(MINUTE);
      const second = await raise({ assetId: 'pump-2', fault: 'outer_race' });
      expect([first.assignee, second.assignee]).toEqual(['alice', 'alice']);
      expect(routed(second)?.detail.reason).toContain('1 open ticket (the only one eligible)');
      // alice moves to another site: nobody on shift may take it, so the lead does.
      await cloud.store.access.updateUser('alice', { sites: ['site-b'] });
      const third = await raise({ assetId: 'pump-3', fault: 'outer_race' });
      expect(third.assignee).toBe('dave');
    });

    it('leaves a ticket someone already took alone (idempotent)', async () => {
      const ticket = await openTicket(cloud.store, { site: 'site-a', assetId: 'pump-1', fault: 'cage' });
      await cloud.modules.idle();
      const before = await detail(ticket.id);
      expect(before.assignee).toBe('alice');
      await cloud.store.review.assign(ticket.id, 'dave', { assignee: 'bob' }, clock.now());
      // Redeliver every change (at least once): the ticket has an assignee, so routing does nothing.
      await cloud.store.database.run("UPDATE change_consumers SET cursor = 0 WHERE name = 'routing'");
      await cloud.modules.idle();
      const after = await detail(ticket.id);
      expect(after.assignee).toBe('bob');
      expect(after.audit.filter((a) => a.actor === 'routing')).toHaveLength(1);
    });

    it('escalates an unacknowledged ticket to the next engineer, then the lead, then stops', async () => {
      const ticket = await raise({ assetId: 'pump-1', fault: 'outer_race', severity: 'critical' });
      expect(ticket.assignee).toBe('alice');
      const routing = cloud.modules.routing;

      clock.advance(14 * MINUTE);
      expect(await routing.escalateDue()).toBe(0);
      expect((await detail(ticket.id)).assignee).toBe('alice');

      clock.advance(2 * MINUTE);
      expect(await routing.escalateDue()).toBe(1);
      const once = await detail(ticket.id);
      expect(once.assignee).toBe('erin');
      expect(escalations(once)).toHaveLength(1);
      expect(escalations(once)[0]).toMatchObject({
        actor: 'routing',
        detail: { from: 'alice', to: 'erin', level: 1 },
      });
      expect(escalations(once)[0]?.detail.reason).toBe(
        'not acknowledged within 15m by alice; next on call at site-a (Mon 06:00–14:00 Europe/Berlin), ' +
          'skill bearings, 0 open tickets (the only one eligible)',
      );
      // A new deadline: nothing more until another 15 minutes have passed.
      expect(await routing.escalateDue()).toBe(0);

      clock.advance(16 * MINUTE);
      expect(await routing.escalateDue()).toBe(1);
      const twice = await detail(ticket.id);
      expect(twice.assignee).toBe('dave');
      expect(escalations(twice)[1]?.detail).toMatchObject({ from: 'erin', to: 'dave', level: 2 });
      expect(escalations(twice)[1]?.detail.reason).toMatch(
        /by erin; nobody else on call at site-a, site lead$/,
      );

      clock.advance(60 * MINUTE);
      expect(await routing.escalateDue()).toBe(0);
      expect((await detail(ticket.id)).assignee).toBe('dave');

      const status = await cloudJson<{ counts: Record<string, number> }>(cloud, '/api/v1/routing/status');
      expect(status.counts).toMatchObject({ routed: 1, escalated: 2 });
    });

    it('does not escalate an acknowledged ticket', async () => {
      const ticket = await raise({ assetId: 'pump-1', fault: 'outer_race', severity: 'critical' });
      await cloud.store.review.transition(ticket.id, 'alice', { to: 'acknowledged' }, clock.now());
      await cloud.modules.idle();
      clock.advance(30 * MINUTE);
      expect(await cloud.modules.routing.escalateDue()).toBe(0);
      const after = await detail(ticket.id);
      expect(after.assignee).toBe('alice');
      expect(escalations(after)).toEqual([]);
      const status = await cloudJson<{ watching: number }>(cloud, '/api/v1/routing/status');
      expect(status.watching).toBe(0);
    });

    it('replaces the config through the API: a bad one is a 400 naming the field, a good one routes the next ticket', async () => {
      const put = (body: unknown) =>
        cloudFetch(cloud, '/api/v1/routing', { method: 'PUT', body: JSON.stringify(body) });
      const bad = await put({
        ...ROUTING,
        sites: {
          'site-a': {
            timezone: 'Europe/Berlin',
            onCall: [{ days: ['mon'], from: '06:00', to: '14:00', engineers: ['alice', 'zed'] }],
          },
        },
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(
        /body\/sites\/site-a\/onCall\/0\/engineers\/1: 'zed' is not in routing\.engineers/,
      );
      const badSchema = await put({ ...ROUTING, rules: [{ name: 'x', skill: 'bearings', colour: 'red' }] });
      expect(badSchema.status).toBe(400);
      expect(((await badSchema.json()) as { message: string }).message).toMatch(/rules\/0/);
      expect((await cloudJson<{ source: string }>(cloud, '/api/v1/routing')).source).toBe('file');
      // Only an admin may change routing.
      const engineerToken = await cloud.store.access.createApiToken('alice', 'test');
      const asEngineer = await fetch(`${cloud.url}/api/v1/routing`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${engineerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(ROUTING),
      });
      expect(asEngineer.status).toBe(403);

      const erinOnly: RoutingConfig = {
        ...ROUTING,
        rules: [{ name: 'all to erin', skill: 'bearings', site: 'site-a' }],
        sites: {
          'site-a': {
            timezone: 'Europe/Berlin',
            lead: 'dave',
            onCall: [{ days: ['mon'], from: '00:00', to: '24:00', engineers: ['erin'] }],
          },
        },
      };
      const good = await put(erinOnly);
      expect(good.status).toBe(200);
      const current = await cloudJson<{ source: string; updatedBy: string; config: RoutingConfig }>(
        cloud,
        '/api/v1/routing',
      );
      expect(current).toMatchObject({ source: 'api', updatedBy: 'test-admin', config: erinOnly });
      const ticket = await raise({ assetId: 'fan-1', fault: 'unbalance' });
      expect(ticket.assignee).toBe('erin');
      expect(routed(ticket)?.detail.reason).toMatch(
        /^rule "all to erin": on call at site-a \(Mon 00:00–24:00/,
      );

      const onCall = await cloudJson<{ onCall: { engineer: string }[]; lead: string; localTime: string }>(
        cloud,
        `/api/v1/routing/on-call?site=site-a&at=${new Date(MONDAY_0900_BERLIN).toISOString()}`,
      );
      expect(onCall).toMatchObject({ lead: 'dave', localTime: 'Mon 09:00', onCall: [{ engineer: 'erin' }] });
    });
  });

  it('follows the shifts: night shift at a weekend night and early Monday, the lead when nobody is on', async () => {
    await start(ROUTING, SATURDAY_2330_BERLIN);
    const night = await raise({ assetId: 'fan-1', fault: 'unbalance' });
    expect(night.assignee).toBe('bob');
    expect(routed(night)?.detail.reason).toContain('on call at site-a (Sat 22:00–06:00 Europe/Berlin)');
    // bob has no bearing skill: the bearing ticket goes to the lead.
    const bearing = await raise({ assetId: 'pump-1', fault: 'outer_race' });
    expect(bearing.assignee).toBe('dave');
    expect(routed(bearing)?.detail.reason).toBe(
      'rule "bearing faults on pumps": nobody with skill bearings on call at site-a; site lead',
    );

    clock.set(MONDAY_0300_BERLIN + 7 * 24 * 60 * MINUTE);
    const early = await raise({ assetId: 'fan-2', fault: 'looseness' });
    expect(early.assignee).toBe('bob');
    expect(routed(early)?.detail.reason).toContain('(Sun 22:00–06:00 Europe/Berlin)');

    clock.set(SATURDAY_1200_BERLIN + 7 * 24 * 60 * MINUTE);
    const noon = await raise({ assetId: 'fan-3', fault: 'unbalance' });
    expect(noon.assignee).toBe('dave');
    expect(routed(noon)?.detail.reason).toMatch(/nobody with skill vibration on call at site-a; site lead$/);
  });

  it('leaves a ticket unassigned when nobody is on shift and the site has no lead, and counts it', async () => {
    const noLead = { timezone: 'Europe/Berlin', onCall: ROUTING.sites?.['site-a']?.onCall ?? [] };
    await start({ ...ROUTING, sites: { 'site-a': noLead } }, SATURDAY_1200_BERLIN);
    const ticket = await raise({ assetId: 'fan-1', fault: 'unbalance' });
    expect(ticket.assignee).toBeUndefined();
    expect(routed(ticket)).toBeUndefined();
    const status = await cloudJson<{
      counts: Record<string, number>;
      consumer: { name: string; handled: number };
    }>(cloud, '/api/v1/routing/status');
    expect(status.counts).toEqual({ routed: 0, escalated: 0, unrouted: 1 });
    expect(status.consumer).toMatchObject({ name: 'routing' });
    expect(status.consumer.handled).toBeGreaterThanOrEqual(1);
  });

  it('routes a severity raise: a raised rule gives the ticket to its choice, and the new severity sets the deadline', async () => {
    const raisedRule = {
      name: 'critical raises to the critical team',
      raised: true,
      minSeverity: 'critical' as const,
      skill: 'critical',
    };
    await start({
      ...ROUTING,
      engineers: { ...ROUTING.engineers, erin: { skills: ['bearings', 'critical'] } },
      // First in the list: a new ticket passes it by, even a critical one.
      rules: [raisedRule, ...(ROUTING.rules ?? [])],
    });
    const critical = await raise({ assetId: 'fan-2', fault: 'unbalance', severity: 'critical' });
    expect(routed(critical)?.detail.reason).toMatch(/^rule "everything else"/);

    const opened = await openTicket(cloud.store, {
      site: 'site-a',
      assetId: 'fan-1',
      fault: 'unbalance',
      severity: 'medium',
    });
    await cloud.modules.idle();
    expect((await detail(opened.id)).assignee).toBe('alice');
    await sendTicketEvent(cloud.store, { ...opened, severity: 'critical', occurrences: 2 });
    await cloud.modules.idle();
    const rerouted = await detail(opened.id);
    expect(rerouted.assignee).toBe('erin');
    expect(rerouted.audit.map((a) => [a.actor, a.action])).toEqual([
      ['gateway:gw-1', 'opened'],
      ['routing', 'assign'],
      ['gateway:gw-1', 'severity_raised'],
      ['routing', 'assign'],
    ]);
    expect(rerouted.audit[2]?.detail).toMatchObject({ from: 'medium', to: 'critical' });
    expect(rerouted.audit[3]?.detail.reason).toBe(
      'severity raised from medium to critical at the edge; rule "critical raises to the critical team": ' +
        'on call at site-a (Mon 06:00–14:00 Europe/Berlin), skill critical, 0 open tickets (the only one eligible)',
    );
    // Critical now: not acknowledged within 15 minutes (not medium's 4 hours), it escalates.
    clock.advance(16 * MINUTE);
    expect(await cloud.modules.routing.escalateDue()).toBe(2);
    const escalated = await detail(opened.id);
    expect(escalated.assignee).toBe('dave');
    expect(escalations(escalated)[0]?.detail.reason).toMatch(/^not acknowledged within 15m by erin;/);
  });

  it('stops paging a ticket whose condition cleared while new, and resumes when it is active again', async () => {
    await start();
    const opened = await openTicket(cloud.store, {
      site: 'site-a',
      assetId: 'pump-1',
      fault: 'outer_race',
      severity: 'critical',
    });
    await cloud.modules.idle();
    expect((await detail(opened.id)).assignee).toBe('alice');
    const clearedAt = new Date().toISOString();
    await sendTicketEvent(cloud.store, { ...opened, condition: 'cleared', clearedAt }, 'ticket.cleared');
    await cloud.modules.idle();
    const status = () => cloudJson<{ watching: number; paused: number }>(cloud, '/api/v1/routing/status');
    expect(await status()).toMatchObject({ watching: 0, paused: 1 });

    clock.advance(60 * MINUTE);
    expect(await cloud.modules.routing.escalateDue()).toBe(0);
    const quiet = await detail(opened.id);
    expect(quiet.assignee).toBe('alice');
    expect(escalations(quiet)).toEqual([]);
    expect(quiet.audit.at(-1)).toMatchObject({
      actor: 'routing',
      action: 'escalation_paused',
      detail: { reason: 'the condition cleared at the edge while the ticket was new: nobody more is paged' },
    });

    // The edge sees it again: the chain goes on, with a fresh deadline.
    await sendTicketEvent(cloud.store, { ...opened, condition: 'active', occurrences: 3 });
    await cloud.modules.idle();
    expect(await status()).toMatchObject({ watching: 1, paused: 0 });
    expect((await detail(opened.id)).audit.at(-1)).toMatchObject({ action: 'escalation_resumed' });
    clock.advance(14 * MINUTE);
    expect(await cloud.modules.routing.escalateDue()).toBe(0);
    clock.advance(2 * MINUTE);
    expect(await cloud.modules.routing.escalateDue()).toBe(1);
    expect((await detail(opened.id)).assignee).toBe('erin');
  });

  it('escalates an overdue ticket step by step (routing.escalateOverdue), and not without the policy', async () => {
    const dueIn2h = (atMs: number) => ({
      firstSeen: new Date(atMs).toISOString(),
      dueAt: new Date(atMs + 120 * MINUTE).toISOString(),
    });
    await start({ ...ROUTING, escalateOverdue: { to: 'next', every: '1h' } });
    const opened = await openTicket(cloud.store, {
      site: 'site-a',
      assetId: 'pump-1',
      fault: 'outer_race',
      ...dueIn2h(clock.now()),
    });
    await cloud.modules.idle();
    expect(
      'ok' in (await cloud.store.review.transition(opened.id, 'alice', { to: 'acknowledged' }, clock.now())),
    ).toBe(true);
    await cloud.modules.idle();
    const routing = cloud.modules.routing;

    clock.advance(119 * MINUTE);
    expect(await routing.escalateDue()).toBe(0);
    clock.advance(2 * MINUTE);
    expect(await routing.escalateDue()).toBe(1);
    const once = await detail(opened.id);
    expect(once.assignee).toBe('erin');
    expect(once.status).toBe('acknowledged');
    expect(escalations(once)[0]).toMatchObject({
      actor: 'routing',
      detail: { from: 'alice', to: 'erin', level: 1, cause: 'overdue' },
    });
    expect(escalations(once)[0]?.detail.reason).toBe(
      `overdue: due ${opened.dueAt}, 1m ago, with alice; next on call at site-a (Mon 06:00–14:00 Europe/Berlin), ` +
        'skill bearings, 0 open tickets (the only one eligible)',
    );
    expect(await routing.escalateDue()).toBe(0);
    clock.advance(61 * MINUTE);
    expect(await routing.escalateDue()).toBe(1);
    const twice = await detail(opened.id);
    expect(twice.assignee).toBe('dave');
    expect(escalations(twice)[1]?.detail.reason).toMatch(/^overdue: due .*, 62m ago, with erin; site lead$/);
    clock.advance(300 * MINUTE);
    expect(await routing.escalateDue()).toBe(0);
    expect(escalations(await detail(opened.id))).toHaveLength(2);

    // The same ticket under a config without the policy: overdue, and left alone.
    await cloud.stop();
    running.splice(0);
    await start();
    const other = await openTicket(cloud.store, {
      site: 'site-a',
      assetId: 'pump-2',
      fault: 'outer_race',
      ...dueIn2h(clock.now()),
    });
    await cloud.modules.idle();
    await cloud.store.review.transition(other.id, 'alice', { to: 'acknowledged' }, clock.now());
    clock.advance(300 * MINUTE);
    expect(await cloud.modules.routing.escalateDue()).toBe(0);
  });

  // Several instances share one database only on PostgreSQL (SQLite is one instance's file).
  if (kind === 'postgres') {
    it('escalates a ticket once when two instances sharing the database both look', async () => {
      const db = await newCloudDatabase(kind);
      clock = new ManualClock(MONDAY_0900_BERLIN);
      cloud = await startTestCloud({ db, config: { routing: ROUTING }, clock });
      running.push(cloud);
      for (const username of ['alice', 'erin', 'dave']) {
        await cloud.store.access.createUser({ username, role: 'engineer', sites: 'all' });
      }
      const other = await startTestCloud({ db, config: { routing: ROUTING }, clock });
      running.push(other);
      const ticket = await raise({ assetId: 'pump-1', fault: 'cage', severity: 'critical' });
      expect(ticket.assignee).toBe('alice');
      clock.advance(16 * MINUTE);
      const [here, there] = await Promise.all([
        cloud.modules.routing.escalateDue(),
        other.modules.routing.escalateDue(),
      ]);
      expect(here + there).toBe(1);
      const after = await detail(ticket.id);
      expect(after.assignee).toBe('erin');
      expect(escalations(after)).toHaveLength(1);
    });
  }

  it('refuses to start with a config that names an unknown engineer, naming the path', async () => {
    const bad: RoutingConfig = {
      ...ROUTING,
      sites: { 'site-a': { timezone: 'Europe/Berlin', lead: 'zoe', onCall: [] } },
    };
    await expect(
      startTestCloud({ db: await newCloudDatabase(kind), config: { routing: bad } }),
    ).rejects.toThrow(/routing\/sites\/site-a\/lead: 'zoe' is not in routing\.engineers/);
  });
});
