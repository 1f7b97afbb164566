import { collectGarbage } from './collect-garbage.js';
import { nativeKernels } from './signal/native-kernels.js';

/** At most one release of free pages per interval: pages given back cost page faults when used again. */
const RELEASE_EVERY_MS = 2000;

/**
 * How long the analysis must stay idle before garbage is collected: a burst is over, not a gap
 * between two waveforms. Collections forced during a flood (measured: in its short gaps) cost V8's
 * helper threads 0.3 ms per waveform afterwards, doubling the agent's CPU.
 */
const QUIET_MS = 500;

/**
 * Growth of the resident memory since the last collection that calls for another. Below it, only
 * free pages are given back: a collection costs 10–25 ms of the event loop and gives back little.
 */
const COLLECT_AFTER_GROWTH_BYTES = 16 * 1024 * 1024;

/** V8 frees a collected buffer's memory a moment after the collection, on another thread. */
const AFTER_COLLECTION_MS = 50;

export interface MemoryReleaseSteps {
  /** Gives the C heap's free pages back to the system (0.25 ms when there is little, 5–10 ms after a burst). */
  giveBackFreePages(): unknown;
  /** Collects the garbage of every thread, and forgets what is kept only for the next burst. */
  collectGarbage(): Promise<void>;
  /** The process' resident memory, in bytes. */
  residentBytes(): number;
}

/**
 * Gives memory back when waveform analysis goes idle. Each waveform passes through a few 64 KB
 * buffers (socket reads, its MQTT payload, the copy that carries it to a worker): glibc keeps the
 * freed ones in its arenas as resident memory, scattered between live blocks, and V8 frees a
 * burst's dead buffers only when it collects, which an idle agent may not do for many seconds.
 *
 * - At every idle, at most every 2 s (a release due sooner waits for its turn): the C heap's free
 *   pages. Measured after a flood of 64 channels: 203 → 166 MB.
 * - Once the analysis has been idle for 500 ms, and the resident memory grew by 16 MB since the
 *   last collection: first the garbage of the event loop and of the analysis workers, then the free
 *   pages. Measured 3 s after a flood of 64 channels: 138–144 MB, against 188 MB without.
 */
export class FreeMemoryRelease {
  private lastAt = -Infinity;
  private releaseTimer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private collecting = false;
  private stopped = false;
  /** Resident memory after the last collection (or at start): the reference for the growth that calls for another. */
  private collectedAt: number;

  constructor(
    private readonly steps: MemoryReleaseSteps,
    private readonly timing = { everyMs: RELEASE_EVERY_MS, quietMs: QUIET_MS },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.collectedAt = steps.residentBytes();
  }

  /** The analysis queue has drained: free pages now (or in turn), garbage if it stays idle. */
  idle(): void {
    if (this.stopped) return;
    this.scheduleRelease();
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      void this.collect();
    }, this.timing.quietMs);
    this.quietTimer.unref();
  }

  /** Waveforms are being analysed again: no collection until the analysis is idle again. */
  busy(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.releaseTimer);
    clearTimeout(this.quietTimer);
    this.releaseTimer = this.quietTimer = undefined;
  }

  private scheduleRelease(): void {
    if (this.releaseTimer) return;
    const wait = this.lastAt + this.timing.everyMs - this.now();
    if (wait <= 0) {
      this.release();
      return;
    }
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = undefined;
      this.release();
    }, wait);
    this.releaseTimer.unref();
  }

  private release(): void {
    this.lastAt = this.now();
    this.steps.giveBackFreePages();
    // Memory that went down on its own lowers the reference too.
    this.collectedAt = Math.min(this.collectedAt, this.steps.residentBytes());
  }

  private async collect(): Promise<void> {
    if (this.collecting || this.stopped) return;
    if (this.steps.residentBytes() - this.collectedAt < COLLECT_AFTER_GROWTH_BYTES) return;
    this.collecting = true;
    try {
      await this.steps.collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, AFTER_COLLECTION_MS).unref());
      if (this.stopped) return;
      this.lastAt = this.now();
      this.steps.giveBackFreePages();
      this.collectedAt = this.steps.residentBytes();
    } catch {
      // Giving memory back only saves memory: a failed attempt changes nothing else.
    } finally {
      this.collecting = false;
    }
  }
}

/**
 * The release for the agent: `analysis` collects the garbage of its worker threads. Free pages go
 * back where the native kernels are built (they hold the call to glibc); without them only the
 * garbage is collected.
 */
export function freeMemoryRelease(analysis: { collectGarbage(): Promise<void> }): FreeMemoryRelease {
  const kernels = nativeKernels;
  return new FreeMemoryRelease({
    giveBackFreePages: () => kernels?.releaseFreeMemory(),
    collectGarbage: async () => {
      await analysis.collectGarbage();
      collectGarbage();
    },
    residentBytes: () => process.memoryUsage.rss(),
  });
}
