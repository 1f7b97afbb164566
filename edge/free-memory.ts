import { collectGarbage } from './collect-garbage.js';
import { nativeKernels } from './signal/native-kernels.js';

/**
 * How long the analysis must stay idle before memory is given back: the gateway is between bursts,
 * on the timescale of V8's own memory reducer (8 s). Giving memory back costs the work that comes
 * next, so it must not land in a flood's gaps (measured on a 2-core VM, 64 channels):
 * - free pages given back at every idle, even at most every 2 s, took 16 % of the event loop's CPU
 *   (madvise, each range with a TLB flush on the other core, then the same pages faulted in again);
 * - after a full collection V8 sizes the old generation's next limit from the small heap it left,
 *   and through the following flood it started marking every ~100 ms, its helper threads marking
 *   all the time (4 × 0.1 ms of CPU per waveform, more than the analysis): a flood after a release
 *   ran at 1,300–1,400 waveforms per CPU-second, against 3,300–4,700 without one. With a second of
 *   quiet, a publisher that paused for one between its batches still brought that about.
 */
export const RELEASE_AFTER_IDLE_MS = 10_000;

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
 * Gives memory back once waveform analysis has stayed idle for 10 s. Each waveform passes
 * through a few 64 KB buffers (socket reads, its MQTT payload): glibc keeps the freed ones in its
 * arenas as resident memory, scattered between live blocks, and V8 frees a burst's dead buffers
 * only when it collects, which an idle agent may not do for many seconds.
 *
 * When the resident memory grew by 16 MB since the last collection: first the garbage of the event
 * loop and of the analysis workers, then the C heap's free pages; otherwise the free pages alone.
 * Measured 12 s after a flood of 64 channels: 135–155 MB, against ~200 MB without.
 */
export class FreeMemoryRelease {
  private quietTimer: NodeJS.Timeout | undefined;
  private releasing = false;
  private stopped = false;
  /** Resident memory after the last collection (or at start): the reference for the growth that calls for another. */
  private collectedAt: number;

  constructor(
    private readonly steps: MemoryReleaseSteps,
    private readonly quietMs = RELEASE_AFTER_IDLE_MS,
  ) {
    this.collectedAt = steps.residentBytes();
  }

  /** The analysis queue has drained: memory goes back if it stays so for `quietMs`. */
  idle(): void {
    if (this.stopped) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      void this.release();
    }, this.quietMs);
    this.quietTimer.unref();
  }

  /** Waveforms are being analysed again: nothing is given back until the analysis is idle again. */
  busy(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.busy();
  }

  private async release(): Promise<void> {
    if (this.releasing || this.stopped) return;
    const resident = this.steps.residentBytes();
    if (resident - this.collectedAt < COLLECT_AFTER_GROWTH_BYTES) {
      this.steps.giveBackFreePages();
      // Memory that went down on its own lowers the reference too.
      this.collectedAt = Math.min(this.collectedAt, this.steps.residentBytes());
      return;
    }
    this.releasing = true;
    try {
      await this.steps.collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, AFTER_COLLECTION_MS).unref());
      if (this.stopped) return;
      this.steps.giveBackFreePages();
      this.collectedAt = this.steps.residentBytes();
    } catch {
      // Giving memory back only saves memory: a failed attempt changes nothing else.
    } finally {
      this.releasing = false;
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
  // Freed memory is kept for the next waveform while a burst lasts, and given back after it.
  kernels?.holdFreedMemory();
  return new FreeMemoryRelease({
    giveBackFreePages: () => kernels?.releaseFreeMemory(),
    collectGarbage: async () => {
      await analysis.collectGarbage();
      collectGarbage();
    },
    residentBytes: () => process.memoryUsage.rss(),
  });
}
