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
  /** A release whose steps are recorded, on fake timers and a clock the test moves. */
  function recorded() {
    vi.useFakeTimers();
    const clock = { now: 0, resident: 100 * MB };
    const calls: string[] = [];
    const release = new FreeMemoryRelease(
      {
        giveBackFreePages: () => calls.push(`pages@${clock.now}`),
        collectGarbage: async () => {
          calls.push(`collect@${clock.now}`);
        },
        residentBytes: () => clock.resident,
      },
      { everyMs: 2000, quietMs: 500 },
      () => clock.now,
    );
    return { clock, calls, release };
  }

  it('gives free pages back at once, then at most every interval: a release due sooner waits for its turn', () => {
    const { clock, calls, release } = recorded();
    release.idle();
    expect(calls).toEqual(['pages@0']);
    clock.now = 500;
    release.busy();
    release.idle();
    clock.now = 900;
    release.busy();
    release.idle();
    expect(calls).toEqual(['pages@0']);
    clock.now = 2000;
    vi.advanceTimersByTime(1500);
    expect(calls).toEqual(['pages@0', 'pages@2000']);
    clock.now = 5000;
    release.idle();
    expect(calls).toEqual(['pages@0', 'pages@2000', 'pages@5000']);
    clock.now = 5100;
    release.idle();
    release.stop();
    vi.advanceTimersByTime(5000);
    expect(calls).toEqual(['pages@0', 'pages@2000', 'pages@5000']);
  });

  it('collects garbage once a burst is over: idle for 500 ms, and memory grown by 16 MB since the last collection', async () => {
    const { clock, calls, release } = recorded();
    // Grown, but busy again within 500 ms: a gap between waveforms, no collection.
    clock.resident = 130 * MB;
    release.idle();
    await vi.advanceTimersByTimeAsync(300);
    release.busy();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.filter((c) => c.startsWith('collect'))).toEqual([]);
    // Idle for 500 ms: the garbage, then the free pages it left.
    clock.now = 3000;
    release.idle();
    await vi.advanceTimersByTimeAsync(499);
    expect(calls.filter((c) => c.startsWith('collect'))).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.at(-1)).toBe('collect@3000');
    await vi.advanceTimersByTimeAsync(50);
    expect(calls.at(-1)).toBe('pages@3000');
    // The next burst grows memory by less than 16 MB over what the collection left: pages only.
    clock.resident = 140 * MB;
    clock.now = 6000;
    release.idle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.filter((c) => c.startsWith('collect'))).toEqual(['collect@3000']);
    // By 16 MB: collected again.
    clock.resident = 146 * MB;
    clock.now = 9000;
    release.idle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.filter((c) => c.startsWith('collect'))).toEqual(['collect@3000', 'collect@9000']);
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
});
