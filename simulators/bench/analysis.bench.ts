import { join } from 'node:path';
import fftJs from 'fft-js';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { planDiagnosis, WindowDiagnoser } from '../../edge/signal/diagnosis.js';
import { RealFft } from '../../edge/signal/fft.js';
import { type BenchResult, opsPerSecond, result } from './measure.js';
import { measureNativeFftw, NATIVE_FFTW_NAME } from './native-fftw.js';
import { windowTransforms } from '../../edge/signal/native-kernels.js';
import { settleNativePlans } from './settle-native-plans.js';

/** The rate the issue sizes channels at: a common accelerometer acquisition rate. */
export const CHANNEL_RATE_HZ = 25_600;
const SIZES = [4096, 16_384];

/**
 * A 2-pole motor (2980 rpm) on an SKF 6205 with an outer-race defect: shaft tone, impacts ringing
 * a 6 kHz resonance at BPFO, and noise. Seeded, so every run analyses the same signal.
 */
export function bearingSignal(n: number, rpm: number): Float64Array {
  const shaftHz = rpm / 60;
  const bpfoHz = defectMultiples(catalogBearing('skf-6205').geometry).bpfo * shaftHz;
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.2;
  const signal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / CHANNEL_RATE_HZ;
    const sinceImpact = t % (1 / bpfoHz);
    signal[i] =
      0.3 * Math.sin(2 * Math.PI * shaftHz * t) +
      Math.exp(-sinceImpact * 800) * Math.sin(2 * Math.PI * 6000 * sinceImpact) +
      noise();
  }
  return signal;
}

/**
 * The machine is shared (a VM whose speed drifts by tens of per cent within a minute): every rate
 * is taken in several short rounds, the native reference and our loops interleaved, and the best
 * round of each is kept. Contention only ever slows a round down, so the best rounds of both sides
 * are the fairest pair.
 */
const ROUNDS = 3;
const ROUND_SECONDS = 0.4;

/**
 * Per window size: our FFT, a complete per-window analysis (spectrum, pre-whitened envelope,
 * features, findings), and what that means in real-time channels per core — each against fft-js
 * (the oracle) measured now. "analysis-vs-fft" is the analysis against one of our own FFTs of the
 * same size: how many transforms' worth of work an analysis costs. "analysis-vs-native" and
 * "fft-vs-native" set both against FFTW's real transform compiled for this machine (the goal is an
 * analysis in about four native transforms' time, a ratio ≥ 0.25); without a C compiler or FFTW
 * those two are left out and one line on stderr says what to install. "fft" is always PFFFT's
 * WebAssembly transform; the analysis runs on the native kernels when they were built (stderr says
 * which).
 */
export async function benchAnalysis(dir: string): Promise<BenchResult[]> {
  process.stderr.write(
    `analysis transforms: ${windowTransforms.engine}${windowTransforms.reason ? ` (${windowTransforms.reason})` : ''}\n`,
  );
  const rpm = 2980;
  const cases = SIZES.map((n) => {
    const signal = bearingSignal(n, rpm);
    const fft = new RealFft(n);
    const diagnoser = new WindowDiagnoser(
      planDiagnosis(n, {
        sampleRateHz: CHANNEL_RATE_HZ,
        rpm,
        unit: 'g',
        bearing: defectMultiples(catalogBearing('skf-6205').geometry),
        windowSize: n,
      }),
    );
    return { n, signal, fft, diagnoser, fftOps: 0, analysisOps: 0, nativeOps: 0 };
  });
  await settleNativePlans(cases.map((c) => () => c.diagnoser.analyse(c.signal)));
  let nativeMissing: string | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    // The native program and our loop never share the CPU: one runs, then the other.
    const native = await measureNativeFftw({
      dir: join(dir, 'native'),
      sizes: SIZES,
      seconds: ROUND_SECONDS,
    });
    if (!native.available) nativeMissing = native.reason;
    for (const c of cases) {
      if (native.available) c.nativeOps = Math.max(c.nativeOps, native.opsPerSecond.get(c.n)!);
      const fftOps = await opsPerSecond(() => {
        c.fft.input.set(c.signal);
        c.fft.forward();
      }, ROUND_SECONDS);
      c.fftOps = Math.max(c.fftOps, fftOps);
      c.analysisOps = Math.max(
        c.analysisOps,
        await opsPerSecond(() => c.diagnoser.analyse(c.signal), ROUND_SECONDS),
      );
    }
  }
  if (nativeMissing) process.stderr.write(`native FFTW reference skipped: ${nativeMissing}\n`);
  const results: BenchResult[] = [];
  for (const { n, signal, fftOps, analysisOps, nativeOps } of cases) {
    const asArray = Array.from(signal);
    const fftJsOps = await opsPerSecond(() => fftJs.fft(asArray), 1, 2000);
    const windowsPerChannelSecond = CHANNEL_RATE_HZ / n;
    results.push(
      result('fft', n, 'ops/s', fftOps, 'fft-js', fftJsOps),
      result('analysis', n, 'ops/s', analysisOps, 'fft-js', fftJsOps),
      result(
        'analysis-channels',
        n,
        'channels',
        analysisOps / windowsPerChannelSecond,
        'fft-js',
        fftJsOps / windowsPerChannelSecond,
      ),
      result('analysis-vs-fft', n, 'ops/s', analysisOps, 'pffft-wasm fft', fftOps),
    );
    if (nativeOps > 0) {
      results.push(
        result('fft-vs-native', n, 'ops/s', fftOps, NATIVE_FFTW_NAME, nativeOps),
        result('analysis-vs-native', n, 'ops/s', analysisOps, NATIVE_FFTW_NAME, nativeOps),
      );
    }
  }
  return results;
}
