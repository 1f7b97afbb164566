import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Waveform } from '../../shared/schema/index.js';
import { WorkerPoolAnalysis } from './analysis-pool.js';

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
