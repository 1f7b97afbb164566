import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FreeMemoryRelease } from './free-memory.js';
import { NATIVE_KERNELS_PATH } from './signal/native/build.js';

afterEach(() => vi.useRealTimers());

describe('giving free memory back when the analysis goes idle', () => {
  it('releases at once, then at most every interval: a release due sooner waits for its turn', () => {
    vi.useFakeTimers();
    let now = 0;
    const released: number[] = [];
    const release = new FreeMemoryRelease(
      () => released.push(now),
      2000,
      () => now,
    );
    release.idle();
    expect(released).toEqual([0]);
    now = 500;
    release.idle();
    now = 900;
    release.idle();
    expect(released).toEqual([0]);
    now = 2000;
    vi.advanceTimersByTime(1500);
    expect(released).toEqual([0, 2000]);
    now = 5000;
    release.idle();
    expect(released).toEqual([0, 2000, 5000]);
    now = 5100;
    release.idle();
    release.stop();
    vi.advanceTimersByTime(5000);
    expect(released).toEqual([0, 2000, 5000]);
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
