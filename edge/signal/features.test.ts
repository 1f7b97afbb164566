import fftJs from 'fft-js';
import { describe, expect, it } from 'vitest';
import {
  analyseWaveform,
  decimateSpectrum,
  STANDARD_GRAVITY,
  timeDomainStats,
  velocityRmsMmS,
} from './features.js';
import { powerOfRealSignal } from './fft.js';
import { welchSpectrum } from './welch.js';
import { sketchSpectrum } from '../diagnose/spectrum-sketch.js';

const sine = (n: number, fs: number, hz: number, amplitude: number, phase = 0) =>
  Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / fs + phase));

describe('signal: FFT', () => {
  it('matches the fft-js oracle bin for bin', () => {
    const signal = Array.from(
      { length: 1024 },
      (_, i) => Math.sin(i * 0.3) + 0.5 * Math.cos(i * 1.7) + ((i * 7919) % 13) / 13,
    );
    const ours = powerOfRealSignal(signal);
    const oracle = fftJs.fft(signal).map(([re, im]) => re * re + im * im);
    // PFFFT works in float32: agree to 1e-5 of the largest bin rather than to double precision.
    const tolerance = 1e-5 * Math.max(...oracle);
    for (let k = 0; k <= 512; k++) expect(Math.abs(ours[k]! - oracle[k]!)).toBeLessThan(tolerance);
  });
});

describe('signal: features', () => {
  it('reads a sine amplitude from the Hann-corrected spectrum', () => {
    const fs = 12_800;
    const spectrum = welchSpectrum(sine(16_384, fs, 125, 0.7), fs);
    const bin = Math.round(125 / spectrum.binHz);
    expect(spectrum.amplitude[bin]).toBeCloseTo(0.7, 2);
  });

  it('integrates acceleration to velocity: 1 g at 100 Hz is 11.04 mm/s RMS', () => {
    const fs = 12_800;
    const spectrum = welchSpectrum(sine(32_768, fs, 100, 1), fs);
    const expected = ((STANDARD_GRAVITY / (2 * Math.PI * 100)) * 1000) / Math.SQRT2;
    expect(velocityRmsMmS(spectrum, 'g')).toBeCloseTo(expected, 1);
    // The same signal in m/s² is 9.81 times smaller in velocity.
    expect(velocityRmsMmS(spectrum, 'm/s2')).toBeCloseTo(expected / STANDARD_GRAVITY, 2);
  });

  it('leaves content outside 10–1000 Hz out of velocity RMS', () => {
    const fs = 12_800;
    const inBand = velocityRmsMmS(welchSpectrum(sine(32_768, fs, 100, 1), fs), 'g');
    const outOfBand = velocityRmsMmS(welchSpectrum(sine(32_768, fs, 3000, 1), fs), 'g');
    expect(outOfBand).toBeLessThan(inBand / 100);
  });

  it('computes time-domain statistics around the mean', () => {
    const stats = timeDomainStats(sine(12_800, 12_800, 50, 2).map((v) => v + 5));
    expect(stats.rms).toBeCloseTo(2 / Math.SQRT2, 3);
    expect(stats.peak).toBeCloseTo(2, 3);
    expect(stats.crestFactor).toBeCloseTo(Math.SQRT2, 2);
    expect(stats.kurtosis).toBeCloseTo(1.5, 2);
  });

  it('analyses a waveform into features and a bounded spectrum snapshot', () => {
    const { features, spectrum } = analyseWaveform({
      ts: 1_700_000_000_000,
      assetId: 'pump-1',
      channel: 'de',
      sampleRateHz: 12_800,
      unit: 'g',
      samples: sine(8192, 12_800, 29.7, 0.2),
    });
    expect(features.windowEnd - features.windowStart).toBe(640);
    expect(features.velocityRmsMmS).toBeGreaterThan(7);
    expect(spectrum.amplitudes.length).toBeLessThanOrEqual(1024);
    expect(Math.max(...spectrum.amplitudes)).toBeCloseTo(0.2, 1);
  });

  it('refuses a record too short for a spectrum', () => {
    expect(() => welchSpectrum([1, 2, 3], 1000)).toThrow(/too short/);
  });
});

describe('spectrum snapshot', () => {
  it('keeps a peak within half a point of its frequency when decimating', () => {
    const fs = 12_800;
    const spectrum = welchSpectrum(sine(16_384, fs, 29.7, 0.2), fs);
    const snapshot = decimateSpectrum(spectrum.amplitude, spectrum.binHz, 1024);
    const peak = snapshot.amplitudes.indexOf(Math.max(...snapshot.amplitudes));
    expect(Math.abs(peak * snapshot.binHz - 29.7)).toBeLessThanOrEqual(snapshot.binHz / 2);
    expect(Math.max(...snapshot.amplitudes)).toBeCloseTo(0.2, 2);
  });

  it('sketches the snapshot in the terminal with the tallest bar at the peak', () => {
    const amplitudes = Array.from({ length: 100 }, (_, k) => (k === 30 ? 1 : 0.05));
    const lines = sketchSpectrum(
      { binHz: 2, unit: 'g', amplitudes },
      { maxHz: 198, width: 100, height: 4, marks: [{ hz: 60, label: '1×' }] },
    );
    const topRow = lines[0] ?? '';
    expect(topRow.indexOf('█') - topRow.indexOf('│') - 1).toBe(30);
    expect((lines[5] ?? '').indexOf('^1×')).toBe(10 + 30);
  });
});
