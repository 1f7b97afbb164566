import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FreeMemoryRelease } from './free-memory.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../shared/paths.js';
import { NATIVE_KERNELS_PATH } from './signal/native/build.js';

afterEach(() => vi.useRealTimers());

describe('giving free memory back when the analysis goes idle', () => {
  const MB = 1024 * 1024;
  /** A release whose steps are recorded, on fake timers; `resident` is what the process holds. */
  function recorded() {
    vi.useFakeTimers();
    const memory = { resident: 100 * MB };
    const calls: string[] = [];
    const release = new FreeMemoryRelease(
      {
        giveBackFreePages: () => calls.push(`pages@${Date.now()}`),
        collectGarbage: async () => {
          calls.push(`collect@${Date.now()}`);
        },
        residentBytes: () => memory.resident,
      },
      1000,
    );
    vi.setSystemTime(0);
    return { memory, calls, release };
  }

  it('gives nothing back in the short gaps of a flood, and free pages once the analysis stayed idle for a second', async () => {
    const { calls, release } = recorded();
    for (let gap = 0; gap < 20; gap++) {
      release.idle();
      await vi.advanceTimersByTimeAsync(900);
      release.busy();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(calls).toEqual([]);
    release.idle();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['pages@21000']);
    // Once per idle period, not again while it lasts.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual(['pages@21000']);
    release.idle();
    release.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toEqual(['pages@21000']);
  });

  it('collects garbage first when memory grew by 16 MB since the last collection, then gives the pages it left', async () => {
    const { memory, calls, release } = recorded();
    memory.resident = 130 * MB;
    release.idle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual(['collect@1000']);
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toEqual(['collect@1000', 'pages@1050']);
    // The next burst grows memory by less than 16 MB over what the collection left: pages only.
    memory.resident = 140 * MB;
    release.idle();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls.filter((c) => c.startsWith('collect'))).toEqual(['collect@1000']);
    expect(calls.at(-1)).toBe('pages@2050');
    // By 16 MB: collected again.
    memory.resident = 146 * MB;
    release.idle();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls.filter((c) => c.startsWith('collect'))).toEqual(['collect@1000', 'collect@4050']);
    release.stop();
  });

  it('collects this thread’s garbage without node’s --expose-gc', () => {
    // A process of its own, started without the flag: the dead objects are gone after the call
    // (the heap's own figure, which the collection itself updates; freed buffers' memory would be
    // given back later, on another thread).
    const script = `
      import { collectGarbage } from ${JSON.stringify(pathToFileURL(join(packageRoot(), 'dist', 'edge', 'collect-garbage.js')).href)};
      let kept = Array.from({ length: 1000000 }, (_, i) => ({ i, name: 'object ' + i }));
      const before = process.memoryUsage().heapUsed;
      kept = null;
      collectGarbage();
      console.log(JSON.stringify({ before, after: process.memoryUsage().heapUsed, exposed: typeof globalThis.gc }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { before, after, exposed } = JSON.parse(run.stdout) as {
      before: number;
      after: number;
      exposed: string;
    };
    expect(exposed).toBe('undefined');
    expect(before - after).toBeGreaterThan(40 * MB);
  });

  it('returns freed 64 KB buffers to the system (glibc keeps them resident without it)', () => {
    // A process of its own, with its GC at hand: 100 MB of buffers, one in ten kept between the
    // freed ones, as a burst of waveforms leaves the C heap.
    const script = `
      const kernels = require(${JSON.stringify(NATIVE_KERNELS_PATH)});
      const rss = () => process.memoryUsage().rss / 1048576;
      let all = []; const kept = [];
      for (let i = 0; i < 1600; i++) { const b = new ArrayBuffer(65536); new Uint8Array(b).fill(1); all.push(b); if (i % 10 === 0) kept.push(b); }
      all = null;
      const full = rss();
      // V8 frees a collected buffer's memory a little after the collection, on another turn.
      const rounds = [];
      const round = () => {
        gc();
        const before = rss(); const released = kernels.releaseFreeMemory();
        rounds.push({ before, released, after: rss() });
        if (rounds.length < 10 && rss() > full - 50) setTimeout(round, 50);
        else console.log(JSON.stringify({ full, rounds, kept: kept.length }));
      };
      setTimeout(round, 50);`;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { full, rounds } = JSON.parse(run.stdout) as {
      full: number;
      rounds: { before: number; released: boolean; after: number }[];
    };
    const last = rounds.at(-1)!;
    expect(last.released).toBe(true);
    expect(full - last.after).toBeGreaterThan(50);
    // The collection alone gave back little of it: glibc kept the freed buffers resident.
    expect(last.before - last.after).toBeGreaterThan(40);
  });

  // Page faults counted in a child process: other test files running at once on a 2-core CI machine
  // have pushed one measurement over (6.5 faults a round held, against 8.4 alone); a real loss of
  // the hold fails all three tries.
  it(
    'keeps freed memory for reuse once held, so a burst does not fault its pages in again and again',
    { retry: 2 },
    () => {
      // A process of its own: 100 rounds of 16 waveform-sized buffers (200 KB) made, filled, freed.
      // glibc alone gives the freed blocks back as it goes (over its mmap threshold, or at the top of
      // its heap), and the next round faults their pages in again.
      const script = (hold: boolean) => `
      const kernels = require(${JSON.stringify(NATIVE_KERNELS_PATH)});
      const held = ${hold} ? kernels.holdFreedMemory() : false;
      const faults = () => process.resourceUsage().minorPageFault;
      let start = 0;
      for (let round = 0; round < 105; round++) {
        if (round === 5) start = faults();
        let all = [];
        for (let i = 0; i < 16; i++) { const b = new ArrayBuffer(204800); new Uint8Array(b).fill(1); all.push(b); }
        all = null;
        gc();
      }
      const perRound = (faults() - start) / 100;
      kernels.releaseFreeMemory();
      console.log(JSON.stringify({ held, perRound }));`;
      const measure = (hold: boolean) => {
        const run = spawnSync(process.execPath, ['--expose-gc', '-e', script(hold)], { encoding: 'utf8' });
        expect(run.stderr).toBe('');
        return JSON.parse(run.stdout) as { held: boolean; perRound: number };
      };
      const alone = measure(false);
      const held = measure(true);
      expect(held.held).toBe(true);
      // Measured: 7.6–17.9 page faults per round alone, 1.1–2.1 held.
      expect(held.perRound).toBeLessThan(alone.perRound / 2);
    },
  );
});
