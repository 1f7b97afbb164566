import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Waveform } from '../../shared/schema/index.js';
import { WorkerPoolAnalysis } from './analysis-pool.js';
import { SampleBuffers } from './sample-buffers.js';

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

describe('sample buffers between the agent and its workers', () => {
  it('carry each waveform in a buffer a worker handed back, and leave the caller’s samples as they were', async () => {
    pool = new WorkerPoolAnalysis([{ id: 'pump-1', rpm: 1500 }], 1, pino({ level: 'silent' }));
    const buffers = (pool as unknown as { buffers: SampleBuffers }).buffers;
    const handedOut: ArrayBuffer[] = [];
    const handedBack: ArrayBuffer[] = [];
    const copy = buffers.copy.bind(buffers);
    const give = buffers.give.bind(buffers);
    buffers.copy = (samples) => {
      const carried = copy(samples);
      handedOut.push(carried.buffer as ArrayBuffer);
      return carried;
    };
    buffers.give = (buffer) => {
      handedBack.push(buffer);
      give(buffer);
    };
    const sent = waveform();
    const first = await pool.analyse(sent, undefined);
    const second = await pool.analyse(waveform(), undefined);
    expect(handedOut).toHaveLength(2);
    expect(handedBack).toHaveLength(2);
    // The first went to the worker (detached here) and came back as the buffer that carried the second.
    expect(handedOut[0]!.byteLength).toBe(0);
    expect(handedOut[1] === handedBack[0]).toBe(true);
    expect((sent.samples as Float32Array).byteLength).toBe(8192 * 4);
    expect(second.features.velocityRmsMmS).toBeCloseTo(first.features.velocityRmsMmS, 9);
    // The evidence is made from the analysis' own buffers, not from the samples handed back.
    const evidence = await second.evidence();
    expect(evidence.spectrum.amplitudes.some((a) => a > 0)).toBe(true);
  });

  it('keeps a bounded number of free buffers per size, and ignores emptied ones', () => {
    const buffers = new SampleBuffers();
    const returned = new ArrayBuffer(4 * 100);
    buffers.give(returned);
    buffers.give(new ArrayBuffer(0));
    const copy = buffers.copy(new Float32Array(100).fill(2));
    expect(copy.buffer).toBe(returned);
    expect(copy[99]).toBe(2);
    expect(buffers.copy([1, 2, 3])).toBeInstanceOf(Float64Array);
    for (let i = 0; i < 300; i++) buffers.give(new ArrayBuffer(8));
    const free = (buffers as unknown as { free: Map<number, ArrayBuffer[]> }).free;
    expect(free.get(8)).toHaveLength(256);
  });
});

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
