import fftJs from 'fft-js';
import { powerOfRealSignal } from '../../edge/signal/fft.js';
import { type BenchResult, opsPerSecond, result } from './measure.js';

/** fft.js (our hot path) against fft-js (the oracle the tests compare with), on one 8192-point window. */
export async function benchFft(): Promise<BenchResult> {
  const n = 8192;
  const signal = Array.from({ length: n }, (_, i) => Math.sin(i * 0.01) + Math.sin(i * 0.37));
  const ours = await opsPerSecond(() => powerOfRealSignal(signal));
  const baseline = await opsPerSecond(() => fftJs.fft(signal), 1, 2000);
  return result('fft', n, 'ops/s', ours, 'fft-js', baseline);
}
