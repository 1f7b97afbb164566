import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudStore } from '../cloud-store.js';
import { openCloudStore } from '../open-cloud-store.js';
import type { OutboxEvent, Ticket, TicketChange } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs } from '../../test/helpers/stack.js';
import { openTicket } from '../../test/helpers/tickets.js';

/** The change log itself: every kind of change logged once, in order, with the ticket after it. */
describe.each(CLOUD_STORES)('ticket change log on %s', (kind) => {
  let store: CloudStore;

  beforeEach(async () => {
    store = await openCloudStore(await newCloudDatabase(kind));
  });

  afterEach(async () => {
    await store.close();
    removeTempDirs();
  });

  const all = async (): Promise<TicketChange[]> => (await store.changes.read({ limit: 1000 })).changes;
  const edgeEvent = (ticket: Ticket, seq: number, type: OutboxEvent['type']): OutboxEvent => ({
    gatewayId: ticket.gatewayId,
    seq,
    type,
    at: new Date().toISOString(),
    ticket,
  });

  it('logs every kind of change once, in order, with the ticket as it is after the change', async () => {
    const appended: number[] = [];
    store.changes.signal.on('appended', () => appended.push(Date.now()));

    const ticket = await openTicket(store, { gatewayId: 'gw-log', site: 'site-a', severity: 'high' });
    const updated = { ...ticket, occurrences: 2, lastSeen: new Date().toISOString() };
    await store.ingest.applyEvents('gw-log', [edgeEvent(updated, 2, 'ticket.updated')]);
    // A gateway re-sending an event it already delivered changes nothing.
    await store.ingest.applyEvents('gw-log', [edgeEvent(updated, 2, 'ticket.updated')]);
    expect('ok' in (await store.review.assign(ticket.id, 'boss', { assignee: 'ana' }))).toBe(true);
    expect('ok' in (await store.review.transition(ticket.id, 'ana', { to: 'acknowledged' }))).toBe(true);
    expect('ok' in (await store.review.comment(ticket.id, 'ana', 'bearing noise confirmed'))).toBe(true);
    const link = { system: 'rest', externalId: 'WO-42', linkedAt: new Date().toISOString() };
    expect('ok' in (await store.review.linkWorkOrder(ticket.id, 'cmms', link))).toBe(true);
    expect(
      'ok' in
        (await store.review.assign(ticket.id, 'routing', { assignee: 'lead' }, Date.now(), {
          escalationLevel: 1,
        })),
    ).toBe(true);
    const cleared = { ...updated, condition: 'cleared' as const, clearedAt: new Date().toISOString() };
    await store.ingest.applyEvents('gw-log', [edgeEvent(cleared, 3, 'ticket.cleared')]);

    // Refused actions log nothing.
    expect('problem' in (await store.review.transition(ticket.id, 'ana', { to: 'closed' }))).toBe(true);
    expect(
      'problem' in
        (await store.review.assign(ticket.id, 'routing', { assignee: 'bob' }, Date.now(), {
          onlyIf: { assignee: null },
        })),
    ).toBe(true);
    expect('problem' in (await store.review.comment('no-such-ticket', 'ana', 'hello'))).toBe(true);

    const changes = await all();
    expect(changes.map((c) => c.type)).toEqual([
      'ticket.opened',
      'ticket.updated',
      'ticket.assigned',
      'ticket.transitioned',
      'ticket.commented',
      'ticket.work_order_linked',
      'ticket.escalated',
      'ticket.cleared',
    ]);
    const cursors = changes.map((c) => Number(c.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    for (const change of changes) {
      expect(change.schema).toBe('plantwatch.ticket-change/v1');
      expect(change.ticket.id).toBe(ticket.id);
      expect(change.ticket.site).toBe('site-a');
    }
    const [opened, update, assigned, transitioned, commented, linked, escalated, clearedChange] = changes as [
      TicketChange,
      TicketChange,
      TicketChange,
      TicketChange,
      TicketChange,
      TicketChange,
      TicketChange,
      TicketChange,
    ];
    expect(opened).toMatchObject({ actor: 'gateway:gw-log', ticket: { status: 'new', severity: 'high' } });
    expect(opened.ticket.assignee).toBeUndefined();
    expect(update.detail).toMatchObject({ occurrences: 2 });
    expect(assigned).toMatchObject({
      actor: 'boss',
      detail: { from: null, to: 'ana' },
      ticket: { assignee: 'ana' },
    });
    expect(assigned.ticket.status).toBe('new');
    expect(transitioned).toMatchObject({
      actor: 'ana',
      detail: { from: 'new', to: 'acknowledged' },
      ticket: { status: 'acknowledged', assignee: 'ana' },
    });
    expect(commented.detail).toMatchObject({ text: 'bearing noise confirmed' });
    expect(commented.ticket.workOrderId).toBeUndefined();
    expect(linked).toMatchObject({
      actor: 'cmms',
      detail: { externalId: 'WO-42' },
      ticket: { workOrderId: 'WO-42' },
    });
    expect(escalated).toMatchObject({
      detail: { from: 'ana', to: 'lead', level: 1 },
      ticket: { assignee: 'lead' },
    });
    // The edge's clear keeps what the cloud owns: the review status, the assignee, the work order.
    expect(clearedChange).toMatchObject({
      actor: 'gateway:gw-log',
      ticket: { status: 'acknowledged', assignee: 'lead', workOrderId: 'WO-42' },
    });
    // Readers are told after each commit that changed something.
    expect(appended.length).toBeGreaterThanOrEqual(changes.length);
  });

  it('logs an edge raise as ticket.severity_raised with from/to and ETAs, audited; a lower severity or a small ETA shift is not one', async () => {
    const HOUR = 3_600_000;
    const nowMs = Date.now();
    const etaIn = (h: number) => new Date(nowMs + h * HOUR).toISOString();
    const prediction = {
      metric: 'velocityRmsMmS',
      threshold: 7.1,
      eta: etaIn(100),
      intervalStart: etaIn(50),
    };
    const ticket = await openTicket(store, { gatewayId: 'gw-up', severity: 'medium', prediction });
    let seq = 1;
    const update = async (changes: Partial<Ticket>) => {
      const next = { ...ticket, occurrences: ++seq, ...changes };
      await store.ingest.applyEvents('gw-up', [edgeEvent(next, seq, 'ticket.updated')]);
    };
    await update({ severity: 'high', priority: 'P2' }); // zone C → D
    await update({ severity: 'high', prediction: { ...prediction, eta: etaIn(95) } }); // 5 h of 100: noise
    await update({ severity: 'high', prediction: { ...prediction, eta: etaIn(40) } }); // 60 h closer
    await update({ severity: 'medium', prediction: { ...prediction, eta: etaIn(40) } }); // lower: not news

    const changes = await all();
    expect(changes.map((c) => c.type)).toEqual([
      'ticket.opened',
      'ticket.updated',
      'ticket.severity_raised',
      'ticket.updated',
      'ticket.updated',
      'ticket.severity_raised',
      'ticket.updated',
    ]);
    const [severity, eta] = changes.filter((c) => c.type === 'ticket.severity_raised');
    expect(severity).toMatchObject({
      actor: 'gateway:gw-up',
      ticket: { severity: 'high' },
      detail: { from: 'medium', to: 'high', reason: 'severity raised from medium to high at the edge' },
    });
    expect(severity?.detail.etaBefore).toBeUndefined();
    expect(eta?.detail).toMatchObject({ from: 'high', to: 'high' });
    expect(eta?.detail.reason).toMatch(/^predicted failure moved 2 d closer \(.* → .*\) at the edge$/);
    expect(Date.parse(String(eta?.detail.etaBefore)) - Date.parse(String(eta?.detail.etaAfter))).toBe(
      55 * HOUR,
    );

    const audit = await store.database.all<{ actor: string; action: string; detail: string }>(
      'SELECT actor, action, detail FROM ticket_audit WHERE ticket_id = ? ORDER BY id',
      [ticket.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['opened', 'severity_raised', 'severity_raised']);
    expect(JSON.parse(audit[1]?.detail ?? '{}')).toMatchObject({ from: 'medium', to: 'high' });
  });

  it('reads by cursor, site and type, and refuses a cursor it did not give out', async () => {
    const a = await openTicket(store, { gatewayId: 'gw-a', site: 'site-a' });
    await openTicket(store, { gatewayId: 'gw-b', site: 'site-b' });
    await store.review.transition(a.id, 'ana', { to: 'acknowledged' });

    expect(await store.changes.latestCursor()).toBe((await all()).at(-1)?.cursor);
    const first = await store.changes.read({ after: '0', limit: 2 });
    expect(first.changes).toHaveLength(2);
    expect(first.nextCursor).toBe(first.changes[1]?.cursor);
    const rest = await store.changes.read({ after: first.nextCursor, limit: 2 });
    expect(rest.changes.map((c) => c.type)).toEqual(['ticket.transitioned']);
    const end = await store.changes.read({ after: rest.nextCursor, limit: 2 });
    expect(end).toEqual({ changes: [], nextCursor: rest.nextCursor });

    const siteB = await store.changes.read({ limit: 10, sites: ['site-b'] });
    expect(siteB.changes.map((c) => c.ticket.site)).toEqual(['site-b']);
    expect((await store.changes.read({ limit: 10, sites: [] })).changes).toEqual([]);
    const moves = await store.changes.read({ limit: 10, types: ['ticket.transitioned'] });
    expect(moves.changes.map((c) => c.ticket.id)).toEqual([a.id]);

    await expect(store.changes.read({ after: 'abc', limit: 1 })).rejects.toThrow(RangeError);
    await expect(store.changes.read({ after: '-1', limit: 1 })).rejects.toThrow(/nextCursor/);
  });

  it('prunes old changes only once every consumer has passed them, and keeps where the log ends', async () => {
    for (const assetId of ['pump-1', 'pump-2', 'pump-3']) await openTicket(store, { assetId });
    const [first, second, third] = await all();
    const later = new Date(Date.now() + 60_000).toISOString();
    // A consumer still at the beginning (a webhook whose receiver is down) holds everything.
    await store.database.run('INSERT INTO change_consumers (name, cursor) VALUES (?, ?)', ['slow', 0]);
    expect(await store.changes.prune(later)).toBe(0);
    await store.database.run('UPDATE change_consumers SET cursor = ? WHERE name = ?', [
      Number(second?.cursor),
      'slow',
    ]);
    expect(await store.changes.prune(new Date(Date.now() - 60_000).toISOString())).toBe(0); // too young
    expect(await store.changes.prune(later)).toBe(2);
    expect((await all()).map((c) => c.cursor)).toEqual([third?.cursor]);
    expect(first).toBeDefined();
    await store.database.run('UPDATE change_consumers SET cursor = ? WHERE name = ?', [
      Number(third?.cursor),
      'slow',
    ]);
    expect(await store.changes.prune(later)).toBe(0);
    expect(await store.changes.latestCursor()).toBe(third?.cursor);
  });
});
