import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NATIVE_KERNELS_PATH } from './native/build.js';

/*
 * The native analysis kernels (native/: the per-window spectra with FFTW, the noise floor's
 * median), when `npm run build` could compile them on this machine. Everything works without them:
 * the WebAssembly transforms (PFFFT) and the JavaScript median give the same results, the spectra
 * to float32 rounding and the medians exactly, at about half the speed. PLANTWATCH_FFT=wasm chooses
 * that path even when the native one is built (to compare the two, or to rule the native one out).
 */

/** An engine's handle: opaque, owned by the accumulator that made it. */
export type NativeEngine = { readonly __brand: 'native window spectra' };

/** One carrier band's envelope, as the native engine computes it. */
export interface NativeBand {
  /** First spectrum bin of the band. */
  first: number;
  bins: number;
  /** Points of its inverse and envelope transforms (a power of two ≥ bins). */
  envelopeSize: number;
  /** Highest envelope bin added into sum. */
  lastBin: number;
  /** Factor on each envelope bin's magnitude. */
  scale: number;
  /** The band's envelope sum the engine adds each window into. */
  sum: Float64Array;
}

export interface NativeKernels {
  /** The power and band sums given are the accumulators each addWindow() adds into. */
  createEngine(size: number, window: Float64Array, power: Float64Array, bands: NativeBand[]): NativeEngine;
  /**
   * Adds samples[start, start + size) to the power sum and band `band`'s envelope (−1: every
   * band's); with sums, also writes the window's moment sums around samples[start]:
   * s1, s2, s3, s4, min, max.
   */
  addWindow(
    engine: NativeEngine,
    samples: Float32Array | Float64Array,
    start: number,
    band: number,
    sums?: Float64Array,
  ): void;
  /**
   * Transforms being re-planned in the background: with FFTW_MEASURE after 256 uses (or an
   * engine's 256 windows), with FFTW_PATIENT after 4096; meanwhile the plans they have run.
   */
  measuringPlans(): number;
  /**
   * The element of rank count >> 1 of spectrum[from, to) and spectrum[from2, to2), or NaN when a
   * value there is negative, −0, infinite or NaN.
   */
  medianOfRuns(spectrum: Float64Array, from: number, to: number, from2: number, to2: number): number;
  /** The C heap's free pages given back to the system (glibc's malloc_trim): true if any were. */
  releaseFreeMemory(): boolean;
  /**
   * From now on the C heap keeps freed memory for reuse instead of giving it back as it goes, until
   * releaseFreeMemory (glibc's trim and mmap thresholds fixed): true where that could be set.
   */
  holdFreedMemory(): boolean;
}

export type TransformEngine = 'fftw' | 'pffft-wasm';

function load(): { module: NativeKernels | null; engine: TransformEngine; reason?: string } {
  if (process.env['PLANTWATCH_FFT'] === 'wasm')
    return { module: null, engine: 'pffft-wasm', reason: 'PLANTWATCH_FFT=wasm' };
  if (!existsSync(NATIVE_KERNELS_PATH))
    return {
      module: null,
      engine: 'pffft-wasm',
      reason: `${NATIVE_KERNELS_PATH} was not built (npm run build compiles it when a C compiler and FFTW are installed)`,
    };
  try {
    const module = createRequire(import.meta.url)(NATIVE_KERNELS_PATH) as NativeKernels;
    return { module, engine: 'fftw' };
  } catch (error) {
    return {
      module: null,
      engine: 'pffft-wasm',
      reason: `${NATIVE_KERNELS_PATH} did not load (${(error as Error).message}): run npm run build again`,
    };
  }
}

const loaded = load();

/** The native kernels, or null when WebAssembly and JavaScript do the work. */
export const nativeKernels: NativeKernels | null = loaded.module;

/** Which transforms the window analysis uses here, and why not the native ones when it does not. */
export const windowTransforms: { engine: TransformEngine; reason?: string } = {
  engine: loaded.engine,
  ...(loaded.reason ? { reason: loaded.reason } : {}),
};

/** What `GET /api/v1/status` shows of the analysis's transforms. */
export interface AnalysisTransformsStatus {
  engine: TransformEngine;
  reason?: string;
  /** FFTW plans being refined in the background now (an agent's first minutes): 0 when settled. */
  plansBeingRefined: number;
}

export function analysisTransformsStatus(): AnalysisTransformsStatus {
  return { ...windowTransforms, plansBeingRefined: nativeKernels?.measuringPlans() ?? 0 };
}
