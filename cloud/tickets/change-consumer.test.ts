import { afterEach, describe, expect, it } from 'vitest';
import { type RunningConsumer, startChangeConsumer } from './change-consumer.js';
import type { CloudStore } from '../cloud-store.js';
import { openCloudStore } from '../open-cloud-store.js';
import { appendTicketChanges, type NewTicketChange } from './ticket-changes.js';
import type { TicketChange } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, silentLogger, waitFor } from '../../test/helpers/stack.js';
import { openTicket } from '../../test/helpers/tickets.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

describe.each(CLOUD_STORES)('change consumers on %s', (kind) => {
  async function store(db?: string): Promise<CloudStore> {
    const opened = await openCloudStore(db ?? (await newCloudDatabase(kind)));
    cleanups.push(() => opened.close());
    return opened;
  }

  function consume(
    s: CloudStore,
    handle: (change: TicketChange) => Promise<void>,
    options: { name?: string; startAt?: 'end' | 'beginning'; leaseMs?: number } = {},
  ): RunningConsumer {
    const consumer = startChangeConsumer({
      name: options.name ?? 'test',
      db: s.database,
      feed: s.changes,
      logger: silentLogger(),
      handle,
      startAt: options.startAt ?? 'beginning',
      pollMs: 50,
      retry: { initialMs: 10, maxMs: 40 },
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    });
    cleanups.push(() => consumer.stop());
    return consumer;
  }

  it('hands every change over once and in order, retrying a failed one before going on', async () => {
    const s = await store();
    const seen: string[] = [];
    let failuresLeft = 2;
    const consumer = consume(s, async (change) => {
      if (change.ticket.assetId === 'pump-2' && failuresLeft-- > 0) throw new Error('receiver down');
      seen.push(`${change.type} ${change.ticket.assetId}`);
    });
    for (const assetId of ['pump-1', 'pump-2', 'pump-3']) await openTicket(s, { assetId });
    await waitFor(() => seen.length === 3, 'three changes');
    await consumer.idle();
    expect(seen).toEqual(['ticket.opened pump-1', 'ticket.opened pump-2', 'ticket.opened pump-3']);
    expect(consumer.health()).toMatchObject({
      handled: 3,
      failures: 2,
      consecutiveFailures: 0,
      leader: true,
    });
  });

  it('starts a new consumer at the end of the log unless told to read its history', async () => {
    const s = await store();
    await openTicket(s, { assetId: 'old-1' });
    const fromEnd: string[] = [];
    const fromStart: string[] = [];
    const a = consume(s, async (c) => void fromEnd.push(c.ticket.assetId), { name: 'a', startAt: 'end' });
    const b = consume(s, async (c) => void fromStart.push(c.ticket.assetId), { name: 'b' });
    await a.idle();
    await b.idle();
    await openTicket(s, { assetId: 'new-1' });
    await waitFor(() => fromEnd.length === 1 && fromStart.length === 2, 'the new change');
    expect(fromEnd).toEqual(['new-1']);
    expect(fromStart).toEqual(['old-1', 'new-1']);
  });

  it('lets one instance of several work a consumer, and another take over where it stopped', async () => {
    const db = await newCloudDatabase(kind);
    const [one, two] = [await store(db), await store(db)];
    const handled: string[] = [];
    const first = consume(one, async (c) => void handled.push(`one ${c.ticket.assetId}`));
    await first.idle();
    const second = consume(two, async (c) => void handled.push(`two ${c.ticket.assetId}`));
    await second.idle();
    expect(second.health().leader).toBe(false);
    await openTicket(one, { assetId: 'pump-1', gatewayId: 'gw-1' });
    await waitFor(() => handled.length === 1, 'the first change');
    await first.stop();
    await openTicket(two, { assetId: 'pump-2', gatewayId: 'gw-2' });
    await waitFor(() => handled.length === 2, 'the second change, on the other instance');
    expect(handled).toEqual(['one pump-1', 'two pump-2']);
    expect(second.health().leader).toBe(true);
  });

  it('never lets a reader see a later change before an earlier one commits', async () => {
    const s = await store();
    const ticket = await openTicket(s, { assetId: 'pump-1' });
    const after = await s.changes.latestCursor();
    const change = (note: string): NewTicketChange => ({
      type: 'ticket.commented',
      at: new Date().toISOString(),
      actor: 'test',
      ticket: {
        id: ticket.id,
        site: ticket.site,
        assetId: ticket.assetId,
        gatewayId: ticket.gatewayId,
        fault: ticket.fault,
        severity: ticket.severity,
        status: 'new',
        title: ticket.title,
        ruleId: ticket.rule.id,
        ruleVersion: ticket.rule.version,
        openedAt: ticket.firstSeen,
        dueAt: ticket.firstSeen,
        predicted: false,
      },
      detail: { note },
    });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // The first writer takes its id, then is slow to commit; the second must not overtake it.
    const slow = s.database.transaction(async (tx) => {
      await appendTicketChanges(tx, [change('first')]);
      await sleep(400);
    });
    await sleep(50);
    const fast = s.database.transaction((tx) => appendTicketChanges(tx, [change('second')]));
    await sleep(150);
    // A reader may see nothing yet, or the first (SQLite readers wait for the running writer), never the second alone.
    const seenMeanwhile = (await s.changes.read({ after, limit: 10 })).changes.map((c) => c.detail.note);
    expect([[], ['first'], ['first', 'second']]).toContainEqual(seenMeanwhile);
    await Promise.all([slow, fast]);
    const notes = (await s.changes.read({ after, limit: 10 })).changes.map((c) => c.detail.note);
    expect(notes).toEqual(['first', 'second']);
  });
});
