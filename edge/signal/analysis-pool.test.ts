import { afterEach, describe, expect, it } from 'vitest';
import type { Waveform } from '../../shared/schema/index.js';
import { silentLogger } from '../../test/helpers/stack.js';
import { WorkerPoolAnalysis } from './analysis-pool.js';

const assets = [{ id: 'pump-1', rpm: 1500, bearing: 'skf-6205' }];
const pools: WorkerPoolAnalysis[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
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
  it('waits in a copy of its own, which goes to the worker as it is, and is analysed alike', async () => {
    const pool = new WorkerPoolAnalysis(assets, 1, silentLogger());
    pools.push(pool);
    const { waveform, message } = waveformInMessage(16_384);
    const held = pool.hold(waveform);
    // Not a view into the message any more: the message can be freed while the waveform waits.
    expect(held.samples).not.toBe(waveform.samples);
    expect((held.samples as Float32Array).buffer).not.toBe(message.buffer);
    expect(Array.from(held.samples as Float32Array)).toEqual(Array.from(waveform.samples as Float32Array));

    const fromHeld = await pool.analyse(held, undefined);
    // Transferred without a second copy (detached once sent); the message itself untouched.
    expect((held.samples as Float32Array).length).toBe(0);
    expect(message.length).toBe(16_384 + 12);

    const fromMessage = await pool.analyse(waveform, undefined);
    expect(fromHeld.features).toEqual({ ...fromMessage.features, ts: fromHeld.features.ts });
    expect(fromHeld.features.velocityRmsMmS).toBeGreaterThan(0);
  });

  it('holds JSON samples as float64, with the same analysis', async () => {
    const pool = new WorkerPoolAnalysis(assets, 1, silentLogger());
    pools.push(pool);
    const { waveform } = waveformInMessage(16_384);
    const json: Waveform = { ...waveform, channel: 'nde', samples: Array.from(waveform.samples) };
    const held = pool.hold(json);
    expect(held.samples).toBeInstanceOf(Float64Array);
    const fromHeld = await pool.analyse(held, undefined);
    const fromTyped = await pool.analyse({ ...waveform, channel: 'nde2' }, undefined);
    expect(fromHeld.features.velocityRmsMmS).toBe(fromTyped.features.velocityRmsMmS);
  });
});
