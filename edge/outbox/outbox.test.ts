import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox, OutboxOpenError } from './outbox.js';
import { removeTempDirs, tempDir } from '../../test/helpers/stack.js';
import { sampleTicket } from '../../test/helpers/tickets.js';

afterAll(removeTempDirs);

describe('outbox', () => {
  it('assigns gap-free sequence numbers that survive a reopen', () => {
    const path = join(tempDir(), 'outbox.db');
    const outbox = new Outbox(path, 'gw-1');
    const seqs = [1, 2, 3].map(
      () => outbox.append('ticket.opened', sampleTicket(), new Date().toISOString()).seq,
    );
    expect(seqs).toEqual([1, 2, 3]);
    outbox.close();
    const reopened = new Outbox(path, 'gw-1');
    expect(reopened.append('ticket.updated', sampleTicket(), new Date().toISOString()).seq).toBe(4);
    expect(reopened.stats()).toMatchObject({ pending: 4, lastSeq: 4, ackedSeq: 0 });
    reopened.close();
  });

  it('rolls back the event with the ticket state when the transaction fails', () => {
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    expect(() =>
      outbox.transaction(() => {
        outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
        throw new Error('crash mid-transaction');
      }),
    ).toThrow('crash mid-transaction');
    expect(outbox.stats().lastSeq).toBe(0);
    expect(outbox.append('ticket.opened', sampleTicket(), new Date().toISOString()).seq).toBe(1);
    outbox.close();
  });

  it('serves pending events by count and bytes, and only moves the watermark forward', () => {
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    for (let i = 0; i < 5; i++) outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
    expect(outbox.pending(3, 1e9).seqs).toEqual([1, 2, 3]);
    expect(outbox.pending(10, 1).seqs).toEqual([1]);
    outbox.acknowledge(3);
    expect(outbox.pending(10, 1e9).seqs).toEqual([4, 5]);
    outbox.acknowledge(1);
    expect(outbox.stats().ackedSeq).toBe(3);
    expect(outbox.acknowledge(99)).toEqual({ ackedSeq: 5, ahead: true });
    expect(outbox.stats().pending).toBe(0);
    outbox.close();
  });

  it('refuses a database that belongs to another gateway, or is not a database', () => {
    const path = join(tempDir(), 'outbox.db');
    new Outbox(path, 'gw-1').close();
    expect(() => new Outbox(path, 'gw-2')).toThrow(/belongs to gateway 'gw-1', not 'gw-2'/);
    const garbage = join(tempDir(), 'garbage.db');
    writeFileSync(garbage, 'this is not a SQLite database, it is text that someone wrote here'.repeat(100));
    expect(() => new Outbox(garbage, 'gw-1')).toThrow(OutboxOpenError);
    expect(() => new Outbox(garbage, 'gw-1')).toThrow(/move it aside/);
  });

  it('counts pending events missing from a damaged file', () => {
    const path = join(tempDir(), 'outbox.db');
    const outbox = new Outbox(path, 'gw-1');
    for (let i = 0; i < 3; i++) outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
    expect(outbox.stats().missing).toBe(0);
    outbox.close();
    const raw = new Database(path);
    raw.prepare('DELETE FROM events WHERE seq = 2').run();
    raw.close();
    const reopened = new Outbox(path, 'gw-1');
    expect(reopened.stats()).toMatchObject({ lastSeq: 3, pending: 3, missing: 1 });
    reopened.close();
  });

  it('makes room from acknowledged events when full, and never drops one the cloud has not acknowledged', () => {
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1', 128 * 1024);
    const big = sampleTicket({ summary: 'x'.repeat(2000) });
    const commit = () =>
      outbox.transaction(() => outbox.append('ticket.opened', big, new Date().toISOString()));
    let committed = 0;
    expect(() => {
      for (; committed < 1000; committed++) commit();
    }).toThrow(/is full: all \d+ events in it wait for the cloud, and none may be dropped/);
    expect(committed).toBeGreaterThan(10);
    expect(outbox.stats()).toMatchObject({ full: true, pending: committed, prunedEvents: 0 });

    // The cloud acknowledges half; the next commit makes room from those and clears the alarm.
    outbox.acknowledge(Math.floor(committed / 2));
    commit();
    const stats = outbox.stats();
    expect(stats.full).toBe(false);
    expect(stats.prunedEvents).toBeGreaterThan(0);
    const pending = outbox.pending(10_000, 1e12).seqs;
    expect(pending).toEqual(Array.from({ length: stats.pending }, (_, i) => stats.ackedSeq + 1 + i));
    expect(pending.at(-1)).toBe(committed + 1);
    outbox.close();
  });

  it('refuses an outbox another agent has open, saying so', () => {
    const path = join(tempDir(), 'outbox.db');
    const first = new Outbox(path, 'gw-1');
    first.append('ticket.opened', sampleTicket(), new Date().toISOString());
    expect(() => new Outbox(path, 'gw-1')).toThrow(
      /cannot open the outbox .*database is locked\. Another agent \(or program\) has it open: stop it, or give this agent its own dataDir/,
    );
    first.close();
    expect(new Outbox(path, 'gw-1').stats().lastSeq).toBe(1);
  });

  it('sets an event aside after maxAttempts refusals, keeps it on disk, and passes over it', () => {
    const path = join(tempDir(), 'outbox.db');
    let outbox = new Outbox(path, 'gw-1');
    for (let i = 0; i < 4; i++) outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
    expect(outbox.recordRefusal(2, '400 body/events/1/at: bad', 3)).toEqual({ attempts: 1, setAside: false });
    expect(outbox.recordRefusal(2, '400 body/events/1/at: bad', 3)).toEqual({ attempts: 2, setAside: false });
    // Counting attempts does not hold the event back yet.
    expect(outbox.pending(10, 1e9).seqs).toEqual([1, 2, 3, 4]);
    expect(outbox.recordRefusal(2, '400 body/events/0/at: still bad', 3)).toEqual({
      attempts: 3,
      setAside: true,
    });
    expect(outbox.recordRefusal(9, 'no such event', 3)).toBeUndefined();
    outbox.close();
    // On disk: a restart keeps it set aside.
    outbox = new Outbox(path, 'gw-1');
    expect(outbox.pending(10, 1e9).seqs).toEqual([1, 3, 4]);
    expect(outbox.newest(2, 1e9, 0).seqs).toEqual([3, 4]);
    expect(outbox.newest(10, 1e9, 0).seqs).toEqual([1, 3, 4]);
    expect(outbox.deadLetters()).toEqual([
      expect.objectContaining({
        seq: 2,
        type: 'ticket.opened',
        attempts: 3,
        reason: '400 body/events/0/at: still bad',
      }),
    ]);
    expect(outbox.stats()).toMatchObject({ pending: 3, deadLetters: 1, lastDeadLetter: { seq: 2 } });
    // The cloud's watermark stays below it, while it vouches for the events after it.
    outbox.acknowledge(1);
    outbox.settle(4, [3, 4]);
    expect(outbox.stats()).toMatchObject({ ackedSeq: 1, settledSeq: 4, pending: 0, deadLetters: 1 });
    expect(outbox.pending(10, 1e9).seqs).toEqual([]);
    expect(outbox.sendFrom()).toBe(4);
    outbox.close();
  });

  it('requeues set-aside events below the settled watermark, and forgets them once the cloud has them', () => {
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    for (let i = 0; i < 5; i++) outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
    outbox.recordRefusal(2, 'refused', 1);
    outbox.recordRefusal(4, 'refused', 1);
    outbox.acknowledge(1);
    outbox.settle(5, [3, 5]);
    expect(outbox.resend([4, 9])).toEqual([4]);
    expect(outbox.stats()).toMatchObject({ pending: 1, deadLetters: 1 });
    expect(outbox.sendFrom()).toBe(3);
    expect(outbox.pending(10, 1e9, outbox.sendFrom()).seqs).toEqual([4]);
    // Refused again: a fresh count of attempts.
    expect(outbox.recordRefusal(4, 'refused', 2)).toEqual({ attempts: 1, setAside: false });
    // Stored by the cloud (a 2xx batch holding it): no longer pending.
    outbox.settle(5, [4]);
    expect(outbox.stats()).toMatchObject({ pending: 0, deadLetters: 1 });
    expect(outbox.resend('all')).toEqual([2]);
    expect(outbox.pending(10, 1e9).seqs).toEqual([2]);
    outbox.acknowledge(5);
    outbox.settle(5, []);
    expect(outbox.stats()).toMatchObject({ pending: 0, deadLetters: 0, ackedSeq: 5, settledSeq: 5 });
    outbox.close();
  });

  it('renumbers a set-aside event with the other pending events on a rebase', () => {
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    for (let i = 0; i < 3; i++) outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
    outbox.recordRefusal(2, 'refused', 1);
    outbox.rebase(10);
    expect(outbox.deadLetters().map((d) => d.seq)).toEqual([12]);
    expect(outbox.pending(10, 1e9).seqs).toEqual([11, 13]);
    expect(outbox.stats()).toMatchObject({ ackedSeq: 10, settledSeq: 10, pending: 2, lastSeq: 13 });
    outbox.close();
  });

  it('makes room from the events delivered past a set-aside one, and keeps the set-aside one', () => {
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1', 128 * 1024);
    const big = sampleTicket({ summary: 'x'.repeat(2000) });
    const commit = () =>
      outbox.transaction(() => outbox.append('ticket.opened', big, new Date().toISOString()));
    commit();
    commit();
    outbox.recordRefusal(2, '413 too large', 1);
    let committed = 2;
    expect(() => {
      for (; committed < 1000; committed++) commit();
    }).toThrow(/is full/);
    // The cloud's watermark stays at 1, below the set-aside seq 2; it has everything after it.
    outbox.acknowledge(1);
    outbox.settle(committed, []);
    for (let i = 0; i < 20; i++) commit();
    expect(outbox.stats()).toMatchObject({ full: false, ackedSeq: 1, deadLetters: 1, pending: 20 });
    expect(outbox.stats().prunedEvents).toBeGreaterThan(0);
    expect(outbox.deadLetters()).toEqual([expect.objectContaining({ seq: 2, reason: '413 too large' })]);
    expect(outbox.resend([2])).toEqual([2]);
    expect(outbox.pending(2, 1e12, outbox.sendFrom()).seqs).toEqual([2, committed + 1]);
    outbox.close();
  });
});
