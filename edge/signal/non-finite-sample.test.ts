import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Waveform } from '../../shared/schema/index.js';
import { WorkerPoolAnalysis } from './analysis-pool.js';
import { NonFiniteSampleError } from './non-finite-sample.js';
import { WaveformAnalyser } from './waveform-analysis.js';

const waveform = (assetId: string, bad?: { index: number; value: number }): Waveform => {
  const samples = Float32Array.from({ length: 8192 }, (_, i) => Math.sin((2 * Math.PI * 25 * i) / 25_600));
  if (bad) samples[bad.index] = bad.value;
  return {
    ts: Date.parse('2026-12-03T10:00:00Z'),
    assetId,
    channel: 'de',
    sampleRateHz: 25_600,
    unit: 'g',
    samples,
  };
};

const ASSETS = [{ id: 'with-rpm', rpm: 1500 }, { id: 'no-rpm' }];

let pool: WorkerPoolAnalysis | undefined;
afterEach(async () => pool?.close());

describe('non-finite samples, found by the analysis’ own pass over them', () => {
  it.each([
    ['the diagnosis (rpm known)', 'with-rpm', 0, Number.NaN],
    ['the diagnosis, a late sample', 'with-rpm', 8191, Number.POSITIVE_INFINITY],
    ['the basic analysis (no rpm)', 'no-rpm', 100, Number.NEGATIVE_INFINITY],
    ['the basic analysis, NaN', 'no-rpm', 4000, Number.NaN],
  ])('refuses %s naming the sample', (_, assetId, index, value) => {
    const analyser = new WaveformAnalyser(ASSETS);
    expect(() => analyser.analyse(waveform(assetId, { index, value }))).toThrow(NonFiniteSampleError);
    try {
      analyser.analyse(waveform(assetId, { index, value }));
    } catch (error) {
      expect(error).toMatchObject({ index, value });
    }
    // The channel's diagnoser is unharmed: the next good waveform is analysed as ever.
    expect(analyser.analyse(waveform(assetId)).features.velocityRmsMmS).toBeGreaterThan(0);
  });

  it('does not refuse a finite waveform whose statistics overflow', () => {
    const analyser = new WaveformAnalyser(ASSETS);
    const huge = {
      ...waveform('no-rpm'),
      samples: new Float64Array(8192).fill(1e200).map((v, i) => (i % 2 ? v : -v)),
    };
    expect(() => analyser.analyse(huge)).not.toThrow();
  });

  it('comes back from a worker as the same error, with the sample and its value', async () => {
    pool = new WorkerPoolAnalysis(ASSETS, 1, pino({ level: 'silent' }));
    const refused = pool.analyse(waveform('with-rpm', { index: 42, value: Number.NaN }), undefined);
    await expect(refused).rejects.toBeInstanceOf(NonFiniteSampleError);
    await expect(refused).rejects.toMatchObject({ index: 42, value: Number.NaN });
    expect((await pool.analyse(waveform('with-rpm'), undefined)).features.velocityRmsMmS).toBeGreaterThan(0);
  });
});
