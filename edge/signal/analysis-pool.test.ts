import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Waveform } from '../../shared/schema/index.js';
import { WorkerPoolAnalysis } from './analysis-pool.js';
import type { AnalysisReply } from './analysis-worker.js';
import { SampleSlots } from './sample-slots.js';

const waveform = (length = 8192): Waveform => ({
  ts: Date.parse('2026-12-03T10:00:00Z'),
  assetId: 'pump-1',
  channel: 'de',
  sampleRateHz: 25_600,
  unit: 'g',
  rpm: 1500,
  samples: Float32Array.from({ length }, (_, i) => Math.sin((2 * Math.PI * 25 * i) / 25_600)),
});

let pool: WorkerPoolAnalysis | undefined;
afterEach(async () => pool?.close());

describe('the analysis worker pool', () => {
  it('fails what a dying worker held, refuses while it restarts, and analyses again with its replacement', async () => {
    pool = new WorkerPoolAnalysis([{ id: 'pump-1', rpm: 1500 }], 1, pino({ level: 'silent' }));
    const first = await pool.analyse(waveform(), undefined);
    expect(first.features.velocityRmsMmS).toBeGreaterThan(0);
    // Reach in to stop the thread as a crash would (the pool has no way to do it on purpose).
    const worker = (pool as unknown as { pool: { worker: { terminate(): Promise<number> } }[] }).pool[0]!;
    // Long enough (about 160 s of signal) to still be in the worker when it stops: a short one
    // could be answered before the thread is gone.
    const held = pool.analyse(waveform(4_194_304), undefined);
    await worker.worker.terminate();
    await expect(held).rejects.toThrow(/analysis worker 0 stopped/);
    await expect(pool.analyse(waveform(), undefined)).rejects.toThrow('analysis worker 0 is restarting');
    const again = await waitForReplacement(pool);
    expect(again.features.velocityRmsMmS).toBeCloseTo(first.features.velocityRmsMmS, 9);
  });
});

describe('batches to a worker', () => {
  it('posts the requests of one turn as one message, answers each its own, and fails only the bad one', async () => {
    const assets = Array.from({ length: 12 }, (_, i) => ({ id: `pump-${i}`, rpm: 1500 }));
    pool = new WorkerPoolAnalysis(assets, 1, pino({ level: 'silent' }));
    const worker = (pool as unknown as { pool: { worker: { postMessage(batch: unknown[]): void } }[] })
      .pool[0]!.worker;
    const post = worker.postMessage.bind(worker);
    const batches: number[] = [];
    worker.postMessage = (batch: unknown[], ...rest: unknown[]) => {
      batches.push(batch.length);
      (post as (...args: unknown[]) => void)(batch, ...rest);
    };
    // Each asset's signal a different size, so that an answer given to the wrong request shows.
    const scaled = (i: number): Waveform => {
      const w = waveform();
      return { ...w, assetId: `pump-${i}`, samples: (w.samples as Float32Array).map((v) => v * (i + 1)) };
    };
    const broken = { ...scaled(11), samples: new Float32Array(8192).fill(Number.NaN) };
    const results = await Promise.allSettled([
      ...assets.slice(0, 11).map((_, i) => pool!.analyse(scaled(i), undefined)),
      pool.analyse(broken, undefined),
    ]);
    expect(batches).toEqual([12]);
    const first = results[0]!;
    if (first.status !== 'fulfilled') throw new Error('the first analysis failed');
    results.slice(0, 11).forEach((r, i) => {
      if (r.status !== 'fulfilled') throw new Error(`analysis ${i} failed`);
      expect(r.value.features.velocityRmsMmS).toBeCloseTo(first.value.features.velocityRmsMmS * (i + 1), 6);
    });
    expect(results[11]!.status).toBe('rejected');
    // More while two batches are in flight wait, and go together when one comes back.
    batches.length = 0;
    const a = pool.analyse(scaled(0), undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const b = pool.analyse(scaled(1), undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = assets.slice(2, 11).map((_, i) => pool!.analyse(scaled(i + 2), undefined));
    await Promise.all([a, b, ...rest]);
    expect(batches[0]).toBe(1);
    expect(batches.reduce((sum, n) => sum + n, 0)).toBe(11);
    expect(batches.length).toBeLessThanOrEqual(4);
  });
});

describe('sample slots between the agent and its workers', () => {
  it('carry each waveform in a shared slot, free again once answered, and leave the caller’s samples as they were', async () => {
    pool = new WorkerPoolAnalysis([{ id: 'pump-1', rpm: 1500 }], 1, pino({ level: 'silent' }));
    const slots = (pool as unknown as { slots: SampleSlots }).slots;
    const sent = waveform();
    const first = await pool.analyse(sent, undefined);
    const second = await pool.analyse(waveform(), undefined);
    // One slot made for the first, used again for the second: nothing allocated per waveform.
    expect(slots.size).toBe(1);
    expect((sent.samples as Float32Array).byteLength).toBe(8192 * 4);
    expect(second.features.velocityRmsMmS).toBeCloseTo(first.features.velocityRmsMmS, 9);
    // The evidence is made from the analysis' own buffers, not from the slot used again since.
    const evidence = await second.evidence();
    expect(evidence.spectrum.amplitudes.some((a) => a > 0)).toBe(true);
  });

  it('gives a slot back for a held waveform that is dropped, and one per size', () => {
    const slots = new SampleSlots();
    const held = slots.hold(new Float32Array(100).fill(2));
    expect(held[99]).toBe(2);
    expect(held.buffer).toBeInstanceOf(SharedArrayBuffer);
    slots.release(held);
    const again = slots.hold(new Float32Array(100).fill(3));
    expect(again.buffer).toBe(held.buffer);
    expect(slots.hold([1, 2, 3])).toBeInstanceOf(Float64Array);
    expect(slots.size).toBe(2);
    // Released twice (a drop, then a late answer) it is still one free slot, not two.
    slots.release(again);
    slots.release(again);
    expect(slots.clear()).toHaveLength(1);
  });

  it('tells a worker about a slot once, and again after the worker was replaced', async () => {
    pool = new WorkerPoolAnalysis([{ id: 'pump-1', rpm: 1500 }], 1, pino({ level: 'silent' }));
    const worker = (
      pool as unknown as { pool: { givesSlot(id: number): boolean; slotsGiven: Set<number> }[] }
    ).pool[0]!;
    await pool.analyse(waveform(), undefined);
    expect(worker.givesSlot(1)).toBe(false);
    worker.slotsGiven.clear();
    // A worker that lost its slots (as a replacement has none) is given the slot again with the next request.
    expect((await pool.analyse(waveform(), undefined)).features.velocityRmsMmS).toBeGreaterThan(0);
  });
});

describe('after a burst', () => {
  it('forgets the free sample buffers, and each worker collects its garbage', async () => {
    pool = new WorkerPoolAnalysis([{ id: 'pump-1', rpm: 1500 }], 1, pino({ level: 'silent' }));
    for (let i = 0; i < 3; i++) await pool.analyse(waveform(65_536), undefined);
    const slots = (pool as unknown as { slots: SampleSlots }).slots;
    expect(slots.size).toBe(1);
    const worker = (pool as unknown as { pool: { request: AnalysisWorkerRequest }[] }).pool[0]!;
    const collected = await worker.request({ type: 'collect' });
    expect('collected' in collected && collected.collected.heapUsedAfter).toBeLessThan(
      'collected' in collected ? collected.collected.heapUsedBefore : 0,
    );
    await pool.collectGarbage();
    expect(slots.size).toBe(0);
    // And analyses on, in a new slot the worker is given.
    expect((await pool.analyse(waveform(), undefined)).features.velocityRmsMmS).toBeGreaterThan(0);
  });
});

type AnalysisWorkerRequest = (message: { type: 'collect' }) => Promise<AnalysisReply>;

async function waitForReplacement(analysis: WorkerPoolAnalysis) {
  for (let i = 0; i < 50; i++) {
    try {
      return await analysis.analyse(waveform(), undefined);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('no replacement worker within 5 s');
}

const heldAssets = [{ id: 'pump-1', rpm: 1500, bearing: 'skf-6205' }];
const pools: WorkerPoolAnalysis[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

/** A float32 waveform whose samples are a view into a larger message, as an MQTT payload is. */
function waveformInMessage(n: number): { waveform: Waveform; message: Float32Array } {
  const message = new Float32Array(n + 12);
  for (let i = 0; i < n; i++)
    message[12 + i] = 0.8 * Math.sin((2 * Math.PI * 25 * i) / 25_600) + 0.1 * Math.sin(i * 0.37);
  const samples = message.subarray(12);
  return {
    waveform: { ts: 1, assetId: 'pump-1', channel: 'de', sampleRateHz: 25_600, unit: 'g', samples },
    message,
  };
}

describe('a waveform held for the analysis workers', () => {
  it('waits in a slot of its own, which the worker reads as it is, and is analysed alike', async () => {
    const heldPool = new WorkerPoolAnalysis(heldAssets, 1, pino({ level: 'silent' }));
    pools.push(heldPool);
    const { waveform, message } = waveformInMessage(16_384);
    const held = heldPool.hold(waveform);
    // Not a view into the message any more: the message can be freed while the waveform waits.
    expect(held.samples).not.toBe(waveform.samples);
    expect((held.samples as Float32Array).buffer).not.toBe(message.buffer);
    expect(Array.from(held.samples as Float32Array)).toEqual(Array.from(waveform.samples as Float32Array));

    const fromHeld = await heldPool.analyse(held, undefined);
    // Read by the worker where it waits, without a second copy; the message itself untouched.
    expect((held.samples as Float32Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(message.length).toBe(16_384 + 12);

    const fromMessage = await heldPool.analyse(waveform, undefined);
    expect(fromHeld.features).toEqual({ ...fromMessage.features, ts: fromHeld.features.ts });
    expect(fromHeld.features.velocityRmsMmS).toBeGreaterThan(0);
  });

  it('holds JSON samples as float64, with the same analysis', async () => {
    const heldPool = new WorkerPoolAnalysis(heldAssets, 1, pino({ level: 'silent' }));
    pools.push(heldPool);
    const { waveform } = waveformInMessage(16_384);
    const json: Waveform = { ...waveform, channel: 'nde', samples: Array.from(waveform.samples) };
    const held = heldPool.hold(json);
    expect(held.samples).toBeInstanceOf(Float64Array);
    const fromHeld = await heldPool.analyse(held, undefined);
    const fromTyped = await heldPool.analyse({ ...waveform, channel: 'nde2' }, undefined);
    expect(fromHeld.features.velocityRmsMmS).toBe(fromTyped.features.velocityRmsMmS);
  });
});
