import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TicketDetail, TicketView } from '../../shared/schema/index.js';
import type { RoutingConfig } from '../routing/routing-config.js';
import type { RunningCloud } from '../server.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch, cloudJson } from '../../test/helpers/cloud-client.js';
import { removeTempDirs, startTestCloud } from '../../test/helpers/stack.js';
import { openTicket } from '../../test/helpers/tickets.js';

afterAll(() => removeTempDirs());

// Routing names engineers; 'ghost' is in the config but no user, 'sam' sees only site-b.
const ROUTING: RoutingConfig = {
  engineers: { ghost: { skills: ['vibration'] }, sam: { skills: ['bearings'] } },
  rules: [
    { name: 'bearings to sam', faults: ['outer_race'], skill: 'bearings' },
    { name: 'the rest to ghost', skill: 'vibration' },
  ],
  sites: {
    'site-a': {
      timezone: 'UTC',
      onCall: [
        {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          from: '00:00',
          to: '24:00',
          engineers: ['ghost', 'sam'],
        },
      ],
    },
  },
};

describe.each(CLOUD_STORES)('assignees on %s', (kind) => {
  let cloud: RunningCloud;

  beforeAll(async () => {
    cloud = await startTestCloud({ db: await newCloudDatabase(kind), config: { routing: ROUTING } });
    const { access } = cloud.store;
    await access.createUser({ username: 'ana', role: 'engineer', sites: ['site-a'] });
    await access.createUser({ username: 'sam', role: 'engineer', sites: ['site-b'] });
    await access.createUser({ username: 'dora', role: 'engineer', sites: 'all' });
    await access.updateUser('dora', { disabled: true });
  });
  afterAll(() => cloud?.stop());

  const assign = (id: string, assignee: string | null) =>
    cloudFetch(cloud, `/api/v1/tickets/${id}/assignee`, {
      method: 'PUT',
      body: JSON.stringify({ assignee }),
    });

  it('takes only an existing, enabled user who sees the ticket site; 400 naming body/assignee and why', async () => {
    const ticket = await openTicket(cloud.store, { site: 'site-a', assetId: 'fan-9', fault: 'unbalance' });
    const refusals: [string, RegExp][] = [
      ['nobody', /^body\/assignee: unknown user 'nobody'/],
      ['dora', /^body\/assignee: user 'dora' is disabled/],
      ['sam', /^body\/assignee: user 'sam' cannot see site site-a/],
    ];
    for (const [assignee, message] of refusals) {
      const response = await assign(ticket.id, assignee);
      expect(response.status, assignee).toBe(400);
      expect(await response.json()).toMatchObject({
        code: 'PW_BAD_ASSIGNEE',
        message: expect.stringMatching(message),
      });
    }
    const ok = await assign(ticket.id, 'ana');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as TicketView).assignee).toBe('ana');
    const unassigned = await assign(ticket.id, null);
    expect(unassigned.status).toBe(200);
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toMatch(/code="PW_BAD_ASSIGNEE"[^\n]* 3/);
  });

  // Routing already checked this (router.ts canTake); kept so the API and routing keep one rule.
  it('routing leaves a ticket unassigned rather than give it to someone who may not have it', async () => {
    const toGhost = await openTicket(cloud.store, { site: 'site-a', assetId: 'fan-10', fault: 'unbalance' });
    const toSam = await openTicket(cloud.store, { site: 'site-a', assetId: 'pump-10', fault: 'outer_race' });
    await cloud.modules.idle();
    for (const id of [toGhost.id, toSam.id]) {
      const detail = await cloudJson<TicketDetail>(cloud, `/api/v1/tickets/${id}`);
      expect(detail.assignee, id).toBeUndefined();
    }
    const status = await cloudJson<{ counts: Record<string, number> }>(cloud, '/api/v1/routing/status');
    // Three: the first test's ticket was routed to ghost too, and left alone.
    expect(status.counts).toMatchObject({ routed: 0, unrouted: 3 });
  });
});
