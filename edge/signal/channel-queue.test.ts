import { describe, expect, it } from 'vitest';
import { ChannelQueue, type DropReason } from './channel-queue.js';

/** A job that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('the per-channel analysis queue', () => {
  it('runs one job per channel at a time, in order, and keeps the newest when a channel falls behind', async () => {
    const dropped: [DropReason, string][] = [];
    const queue = new ChannelQueue({ perChannel: 2, total: 100, onDropped: (r, c) => dropped.push([r, c]) });
    const ran: string[] = [];
    const first = gate();
    queue.submit('pump/de', async () => {
      ran.push('de-1');
      await first.opened;
    });
    for (const n of [2, 3, 4, 5]) queue.submit('pump/de', async () => void ran.push(`de-${n}`));
    queue.submit('pump/nde', async () => void ran.push('nde-1'));
    expect(queue.inFlight).toBe(2); // pump/de's first, and pump/nde's at once beside it
    expect(queue.queued).toBe(2);
    expect(dropped).toEqual([
      ['superseded', 'pump/de'],
      ['superseded', 'pump/de'],
    ]);
    first.open();
    await queue.idle();
    expect(ran).toEqual(['de-1', 'nde-1', 'de-4', 'de-5']);
  });

  it('drops the oldest waiting waveform of any channel when too many wait in all', async () => {
    const dropped: [DropReason, string][] = [];
    const queue = new ChannelQueue({ perChannel: 8, total: 2, onDropped: (r, c) => dropped.push([r, c]) });
    const hold = gate();
    const ran: string[] = [];
    for (const channel of ['a', 'b', 'c'])
      queue.submit(channel, async () => {
        ran.push(`${channel}-1`);
        await hold.opened;
      });
    for (const channel of ['a', 'b', 'c']) queue.submit(channel, async () => void ran.push(`${channel}-2`));
    expect(dropped).toEqual([['overload', 'a']]);
    hold.open();
    await queue.idle();
    expect(ran.filter((r) => r.endsWith('-2')).sort()).toEqual(['b-2', 'c-2']);
  });

  it('lets go of what a dropped or cleared job holds, and of nothing that runs', async () => {
    const queue = new ChannelQueue({ perChannel: 1, total: 2, onDropped: () => {} });
    const hold = gate();
    const discarded: string[] = [];
    const submit = (channel: string, name: string, job = async () => {}) =>
      queue.submit(channel, job, () => discarded.push(name));
    submit('a', 'a-1', () => hold.opened);
    submit('a', 'a-2');
    // a-2 superseded by a-3 (one may wait per channel); a-1 runs and keeps its samples.
    submit('a', 'a-3');
    expect(discarded).toEqual(['a-2']);
    submit('b', 'b-1', () => hold.opened);
    submit('b', 'b-2');
    submit('c', 'c-1', () => hold.opened);
    submit('c', 'c-2');
    // Three waiting over a total of 2: the oldest (a-3) gives way.
    expect(discarded).toEqual(['a-2', 'a-3']);
    queue.clear();
    expect(discarded).toEqual(['a-2', 'a-3', 'b-2', 'c-2']);
    hold.open();
    await queue.idle();
    expect(discarded).toHaveLength(4);
  });

  it('keeps a channel going after a job that throws', async () => {
    const queue = new ChannelQueue({ perChannel: 4, total: 10, onDropped: () => {} });
    const ran: string[] = [];
    queue.submit('x', async () => {
      throw new Error('boom');
    });
    queue.submit('x', async () => void ran.push('after'));
    await queue.idle();
    expect(ran).toEqual(['after']);
  });

  it('says when it has drained and when it has work again: once per burst each', async () => {
    let idle = 0;
    let busy = 0;
    const queue = new ChannelQueue({
      perChannel: 4,
      total: 10,
      onDropped: () => {},
      onIdle: () => idle++,
      onBusy: () => busy++,
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    queue.submit('a', () => held);
    queue.submit('a', async () => {});
    queue.submit('b', async () => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(0);
    expect(busy).toBe(1);
    release();
    await queue.idle();
    expect(idle).toBe(1);
    queue.submit('b', async () => {});
    expect(busy).toBe(2);
    await queue.idle();
    expect(idle).toBe(2);
  });
});
