import type { AccelerationUnit, Features, SpectrumSnapshot, Waveform } from '../../shared/schema/index.js';
import { STANDARD_GRAVITY, timeDomainStats } from './time-domain.js';
import { bandRms, type WelchSpectrum, welchSpectrum } from './welch.js';

export { STANDARD_GRAVITY, timeDomainStats } from './time-domain.js';

/** ISO 20816-1/-3 evaluate broadband velocity between 10 Hz and 1000 Hz for machines above 600 rpm. */
export const VELOCITY_BAND_HZ = { low: 10, high: 1000 } as const;

/** Snapshots are replicated with tickets; 1024 points plot well and stay a few kilobytes. */
export const SNAPSHOT_POINTS = 1024;

export interface WindowAnalysis {
  features: Features;
  spectrum: SpectrumSnapshot;
}

const toMetresPerSecondSquared = (unit: AccelerationUnit): number => (unit === 'g' ? STANDARD_GRAVITY : 1);

/**
 * Velocity RMS by integration in the frequency domain: each acceleration bin divided by 2πf.
 * Bins below the band's low edge are excluded, which is the low cut-off that keeps integration
 * from amplifying drift and DC.
 */
export function velocityRmsMmS(spectrum: WelchSpectrum, unit: AccelerationUnit): number {
  const scale = toMetresPerSecondSquared(unit) * 1000;
  const accelToVelocitySquared = (hz: number) => (scale / (2 * Math.PI * hz)) ** 2;
  return bandRms(spectrum, VELOCITY_BAND_HZ.low, VELOCITY_BAND_HZ.high, accelToVelocitySquared);
}

/** Rounds to `digits` significant digits with arithmetic: toPrecision() costs a string per value. */
export function toSignificant(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

/**
 * Max-pooling keeps every peak visible in a shorter spectrum, which averaging would smear. Point k
 * pools the bins centred on k × factor, so a peak stays within half a point of its frequency.
 */
export function decimateSpectrum(
  amplitude: ArrayLike<number>,
  binHz: number,
  points: number,
): { binHz: number; amplitudes: number[] } {
  const factor = Math.max(1, Math.ceil(amplitude.length / points));
  const half = Math.floor(factor / 2);
  const amplitudes: number[] = [];
  for (let centre = 0; centre < amplitude.length; centre += factor) {
    let max = 0;
    const end = Math.min(centre - half + factor, amplitude.length);
    for (let k = Math.max(0, centre - half); k < end; k++) max = Math.max(max, amplitude[k] ?? 0);
    amplitudes.push(toSignificant(max, 5));
  }
  return { binHz: binHz * factor, amplitudes };
}

/** Where and when a waveform's features belong: the same for every way of computing them. */
export function windowOf(
  waveform: Waveform,
): Pick<Features, 'ts' | 'assetId' | 'channel' | 'windowStart' | 'windowEnd' | 'sampleRateHz' | 'accelUnit'> {
  const durationMs = Math.round((waveform.samples.length / waveform.sampleRateHz) * 1000);
  return {
    ts: waveform.ts,
    assetId: waveform.assetId,
    channel: waveform.channel,
    windowStart: waveform.ts,
    windowEnd: waveform.ts + durationMs,
    sampleRateHz: waveform.sampleRateHz,
    accelUnit: waveform.unit,
  };
}

/** The first signal step: one waveform in, its condition indicators and a spectrum snapshot out. */
export function analyseWaveform(waveform: Waveform): WindowAnalysis {
  const { samples, sampleRateHz, unit } = waveform;
  const spectrum = welchSpectrum(samples, sampleRateHz);
  const stats = timeDomainStats(samples);
  const features: Features = {
    ...windowOf(waveform),
    accelRms: stats.rms,
    accelPeak: stats.peak,
    velocityRmsMmS: velocityRmsMmS(spectrum, unit),
    crestFactor: stats.crestFactor,
    kurtosis: stats.kurtosis,
    ...(waveform.rpm !== undefined ? { rpm: waveform.rpm } : {}),
  };
  const snapshot = decimateSpectrum(spectrum.amplitude, spectrum.binHz, SNAPSHOT_POINTS);
  return { features, spectrum: { ...snapshot, unit } };
}
