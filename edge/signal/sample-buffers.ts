import type { Waveform } from '../../shared/schema/index.js';

/** Free buffers kept per size: a few per channel of a large gateway; more are left to the GC. */
const MAX_FREE_PER_SIZE = 256;

/**
 * The buffers that carry samples to the analysis workers, used again when a worker hands them back.
 * A new 64 KB buffer per waveform, freed only when the worker's GC gets round to it, kept some
 * 60 MB of dead samples in the agent's memory under a sustained load.
 */
export class SampleBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();

  /** The samples in a buffer of their own, ready to transfer: float32 stays float32, JSON numbers become float64. */
  copy(samples: Waveform['samples']): Float32Array | Float64Array {
    if (Array.isArray(samples)) {
      const copy = new Float64Array(this.take(samples.length * 8));
      copy.set(samples);
      return copy;
    }
    const copy = new Float32Array(this.take(samples.length * 4));
    copy.set(samples);
    return copy;
  }

  /** Forgets the free buffers (after a burst, when the agent gives memory back): they are garbage now. */
  clear(): void {
    this.free.clear();
  }

  /** A buffer a worker has finished with. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return;
    const list = this.free.get(buffer.byteLength) ?? [];
    if (list.length < MAX_FREE_PER_SIZE) list.push(buffer);
    this.free.set(buffer.byteLength, list);
  }

  private take(bytes: number): ArrayBuffer {
    return this.free.get(bytes)?.pop() ?? new ArrayBuffer(bytes);
  }
}
