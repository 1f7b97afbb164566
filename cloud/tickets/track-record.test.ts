import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../server.js';
import type {
  Contributor,
  OutboxEvent,
  RuleTrackRecord,
  Ticket,
  TicketDetail,
} from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, silentLogger, startTestCloud } from '../../test/helpers/stack.js';
import { sampleTicket } from '../../test/helpers/tickets.js';

const V = { unbalance: 'aaaaaaaaaaaa', strong1x: 'bbbbbbbbbbbb', zone: 'cccccccccccc' };

const contributor = (ruleId: keyof typeof V, overrides: Partial<Contributor> = {}): Contributor => {
  const now = new Date().toISOString();
  return {
    rule: { id: ruleId === 'strong1x' ? 'strong-1x' : ruleId, version: V[ruleId] },
    channel: 'de',
    fault: ruleId === 'zone' ? 'threshold' : 'unbalance',
    severity: 'medium',
    active: true,
    summary: 'de: confidence 90 %',
    triggeringValues: [],
    reasoning: [],
    since: now,
    lastSeen: now,
    ...overrides,
  };
};

/** Tickets with several contributing rules, as the edge replicates them, on both stores. */
describe.each(CLOUD_STORES)('rule track record over contributors on %s', (kind) => {
  let cloud: RunningCloud;
  let gatewayToken: string;
  let adminToken: string;
  let seq = 0;

  const ingest = async (type: OutboxEvent['type'], ticket: Ticket) => {
    const event: OutboxEvent = { gatewayId: 'gw-1', seq: ++seq, type, at: new Date().toISOString(), ticket };
    const response = await fetch(`${cloud.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gatewayToken}` },
      body: JSON.stringify({ gatewayId: 'gw-1', events: [event] }),
    });
    expect(response.status).toBe(200);
  };
  const api = async (path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${cloud.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status).toBe(200);
    return response.json() as Promise<unknown>;
  };

  const unbalance = sampleTicket({
    fault: 'unbalance',
    severity: 'medium',
    rule: { id: 'unbalance', version: V.unbalance },
    contributors: [contributor('unbalance')],
  });
  const zoneFirst = sampleTicket({
    fault: 'threshold',
    severity: 'medium',
    rule: { id: 'zone', version: V.zone },
    contributors: [contributor('zone')],
  });
  const otherPump = sampleTicket({
    assetId: 'pump-2',
    fault: 'unbalance',
    severity: 'medium',
    rule: { id: 'unbalance', version: V.unbalance },
    contributors: [
      contributor('unbalance'),
      contributor('zone', { folded: { reason: 'explained by unbalance diagnosed on pump-2' } }),
    ],
  });

  beforeAll(async () => {
    cloud = await startTestCloud({ db: await newCloudDatabase(kind), logger: silentLogger() });
    gatewayToken = await cloud.store.access.createGatewayToken('gw-1', { sites: ['site-a'] });
    await cloud.store.access.createUser({ username: 'boss', role: 'admin', sites: 'all' });
    adminToken = await cloud.store.access.createApiToken('boss', 'tests');

    await ingest('ticket.opened', unbalance);
    await ingest('ticket.opened', zoneFirst);
    // A second rule joins the unbalance ticket on an update; then the zone's own ticket is folded in.
    await ingest('ticket.updated', {
      ...unbalance,
      occurrences: 2,
      contributors: [contributor('unbalance'), contributor('strong1x', { severity: 'low' })],
    });
    await ingest('ticket.cleared', {
      ...zoneFirst,
      condition: 'cleared',
      clearedAt: new Date().toISOString(),
      foldedInto: unbalance.id,
      contributors: [contributor('zone', { active: false })],
    });
    await ingest('ticket.updated', {
      ...unbalance,
      occurrences: 3,
      contributors: [
        contributor('unbalance'),
        contributor('strong1x', { severity: 'low' }),
        contributor('zone', { folded: { reason: 'explained by unbalance', fromTicketId: zoneFirst.id } }),
      ],
    });
    await ingest('ticket.opened', otherPump);
    for (const to of ['acknowledged', 'in_progress'])
      await api(`/api/v1/tickets/${unbalance.id}/transitions`, 'POST', { to });
    await api(`/api/v1/tickets/${unbalance.id}/transitions`, 'POST', {
      to: 'resolved',
      // Still active at the edge: resolving it anyway must be said.
      confirmActive: true,
      feedback: { outcome: 'confirmed', failureMode: 'unbalance', actionTaken: 'balanced the impeller' },
    });
  });
  afterAll(async () => {
    await cloud.stop();
    removeTempDirs();
  });

  it('credits every contributing rule for its own firings, once each', async () => {
    const { rules } = (await api('/api/v1/rules/track-record')) as { rules: RuleTrackRecord[] };
    const byRule = new Map(rules.map((r) => [r.ruleId, r]));
    expect(byRule.get('unbalance')).toMatchObject({ ruleVersion: V.unbalance, fired: 2, confirmed: 1 });
    // Joined the ticket on an update: credited with the ticket's confirmation.
    expect(byRule.get('strong-1x')).toMatchObject({ ruleVersion: V.strong1x, fired: 1, confirmed: 1 });
    // Its own ticket (folded, so a duplicate) and the one it joined folded directly: two firings.
    expect(byRule.get('zone')).toMatchObject({ ruleVersion: V.zone, fired: 2, duplicates: 1, confirmed: 0 });
  });

  it('keeps the contributors and closes a folded ticket as a duplicate of the one it was folded into', async () => {
    const detail = (await api(`/api/v1/tickets/${unbalance.id}`)) as TicketDetail;
    expect(detail.contributors?.map((c) => [c.rule.id, c.folded?.fromTicketId])).toEqual([
      ['unbalance', undefined],
      ['strong-1x', undefined],
      ['zone', zoneFirst.id],
    ]);
    const folded = (await api(`/api/v1/tickets/${zoneFirst.id}`)) as TicketDetail;
    expect(folded).toMatchObject({ status: 'duplicate', duplicateOf: unbalance.id });
    expect(folded).toMatchObject({ condition: 'cleared', foldedInto: unbalance.id });
    expect(folded.audit.map((a) => a.action)).toEqual(['opened', 'cleared', 'transition']);
  });
});
