import type { Waveform } from '../../shared/schema/index.js';

/** A shared buffer that carries one waveform's samples to an analysis worker at a time. */
export interface SampleSlot {
  /** How the workers know it: each is given the buffer once, with the first request that uses it. */
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
}

/** The samples of a held waveform: where they are, and how to read them there. */
export interface SlotSamples {
  slot: number;
  type: 'float32' | 'float64';
  length: number;
}

/**
 * The shared buffers that carry samples to the analysis workers, each used again once its analysis
 * has come back. No sample buffer is allocated, transferred or handed back per waveform (only a
 * small typed view of the slot): a slot is made when all of its size are busy.
 *
 * Why not transferred buffers (as before): V8 counts an ArrayBuffer's memory against the old
 * generation's limit until the collector has found it dead, and a buffer that waited in the queue
 * long enough to be promoted, then was transferred, is found dead only by a full collection. On
 * its own the change measured within the machine's noise (64 channels: 2,866–3,623 waveforms per
 * CPU-second with slots, 2,526–3,491 with transfers); the marking storm seen at the time came from
 * the agent's forced collections (see FreeMemoryRelease).
 */
export class SampleSlots {
  private readonly free = new Map<number, SampleSlot[]>();
  private readonly bySamples = new WeakMap<object, SampleSlot>();
  private nextId = 1;
  private made = 0;

  /** The samples copied into a free slot of their size: float32 stays float32, JSON numbers become float64. */
  hold(samples: Waveform['samples']): Float32Array | Float64Array {
    const float64 = Array.isArray(samples);
    const slot = this.take(samples.length * (float64 ? 8 : 4));
    const view = float64 ? new Float64Array(slot.buffer) : new Float32Array(slot.buffer);
    view.set(samples);
    this.bySamples.set(view, slot);
    return view;
  }

  /** The slot that holds these samples (from `hold`), or none. */
  slotOf(samples: Waveform['samples']): SampleSlot | undefined {
    return this.bySamples.get(samples);
  }

  /** How a worker finds these held samples in their slot. */
  describe(samples: Float32Array | Float64Array, slot: SampleSlot): SlotSamples {
    return {
      slot: slot.id,
      type: samples instanceof Float64Array ? 'float64' : 'float32',
      length: samples.length,
    };
  }

  /** The slot is free again: its analysis came back, or its waveform will not be analysed. */
  release(samples: Waveform['samples']): void {
    const slot = this.bySamples.get(samples);
    if (!slot) return;
    this.bySamples.delete(samples);
    const list = this.free.get(slot.buffer.byteLength);
    if (list) list.push(slot);
    else this.free.set(slot.buffer.byteLength, [slot]);
  }

  /** Forgets the free slots (after a burst, when the agent gives memory back); returns their ids. */
  clear(): number[] {
    const ids = [...this.free.values()].flat().map((slot) => slot.id);
    this.made -= ids.length;
    this.free.clear();
    return ids;
  }

  /** Slots made and not forgotten: those in use and the free ones. */
  get size(): number {
    return this.made;
  }

  private take(bytes: number): SampleSlot {
    const reused = this.free.get(bytes)?.pop();
    if (reused) return reused;
    this.made++;
    return { id: this.nextId++, buffer: new SharedArrayBuffer(bytes) };
  }
}

/** A worker's side: the slots it was given, by id, and their samples as a request describes them. */
export class SlotReader {
  private readonly buffers = new Map<number, SharedArrayBuffer>();

  /** A slot handed over with a request, the first time the worker sees it. */
  add(id: number, buffer: SharedArrayBuffer): void {
    this.buffers.set(id, buffer);
  }

  /** Slots the agent has forgotten. */
  forget(ids: readonly number[]): void {
    for (const id of ids) this.buffers.delete(id);
  }

  samples({ slot, type, length }: SlotSamples): Float32Array | Float64Array {
    const buffer = this.buffers.get(slot);
    if (!buffer) throw new Error(`sample slot ${slot} was never handed to this worker`);
    return type === 'float64' ? new Float64Array(buffer, 0, length) : new Float32Array(buffer, 0, length);
  }
}
