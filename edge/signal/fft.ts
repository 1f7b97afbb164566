import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import createPffft, { type PffftModule } from '@echogarden/pffft-wasm/simd';
import { heapKernels, type HeapKernels, wasmApi, type WasmMemory } from './heap-kernels.js';

/*
 * PFFFT compiled to WebAssembly with SIMD is the hot-path transform: measured here at about 105,000
 * real 4096-point transforms/s against about 35,000 for fft.js and 200 for fft-js (kept in the tests
 * as the oracle). Buffers live in the WebAssembly heap and are allocated once per transform object,
 * so analysing a window allocates nothing.
 */
const pffftWasm = new wasmApi.Module(
  readFileSync(
    join(dirname(createRequire(import.meta.url).resolve('@echogarden/pffft-wasm/simd')), 'pffft.wasm'),
  ),
);
let pffftMemory: WasmMemory | undefined;
// Instantiated here rather than by the module's loader only to keep hold of its memory, which the
// loader does not expose: the envelope's per-bin kernels (heap-kernels.ts) work in it directly.
const pffft: PffftModule = await createPffft({
  instantiateWasm(imports, receive) {
    const instance = new wasmApi.Instance(pffftWasm, imports);
    pffftMemory = Object.values(instance.exports).find((e): e is WasmMemory => e instanceof wasmApi.Memory);
    return receive(instance, pffftWasm);
  },
});

/**
 * The per-bin kernels working in the transforms' memory; null if PFFFT's memory was not found
 * (another build of the package), in which case the JavaScript kernels do the work.
 */
export const transformHeapKernels: HeapKernels | null = pffftMemory ? heapKernels(pffftMemory) : null;

/** Byte address in the transforms' memory of a view on it, or -1 for an array elsewhere. */
export function heapAddress(view: Float32Array | Float64Array): number {
  return pffftMemory !== undefined && view.buffer === pffftMemory.buffer ? view.byteOffset : -1;
}

/**
 * Float64 values in the transforms' memory, for the heap kernels to read (a window, staged samples).
 * Read `values` anew after anything that may allocate there: a grown memory leaves old views empty.
 */
export class HeapFloat64 {
  private readonly pointer: number;
  private view = new Float64Array(0);

  constructor(readonly length: number) {
    this.pointer = pffft._pffft_aligned_malloc(Math.max(1, length) * 8);
  }

  get values(): Float64Array {
    if (this.view.buffer !== pffft.HEAPF32.buffer)
      this.view = new Float64Array(pffft.HEAPF32.buffer as ArrayBuffer, this.pointer, this.length);
    return this.view;
  }
}

const REAL = 0;
const COMPLEX = 1;
const FORWARD = 0;
const BACKWARD = 1;

export const isPowerOfTwo = (n: number): boolean => n >= 2 && (n & (n - 1)) === 0;

export function largestPowerOfTwoAtMost(n: number): number {
  return n < 2 ? 0 : 2 ** Math.floor(Math.log2(n));
}

export function smallestPowerOfTwoAtLeast(n: number): number {
  return 2 ** Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));
}

/** Float32 buffers in the WebAssembly heap, re-viewed whenever the heap has grown. */
abstract class HeapTransform {
  private readonly setup: number;
  private readonly inputPointer: number;
  private readonly outputPointer: number;
  private readonly workPointer: number;
  private heap: ArrayBuffer | null = null;
  private inputView = new Float32Array(0);
  private outputView = new Float32Array(0);

  protected constructor(
    readonly size: number,
    kind: typeof REAL | typeof COMPLEX,
    private readonly floats: number,
  ) {
    // PFFFT's SIMD radix needs sizes that are multiples of 32 (real) or 16 (complex).
    if (!isPowerOfTwo(size) || size < 32)
      throw new RangeError(`FFT size must be a power of two ≥ 32, got ${size}`);
    this.setup = pffft._pffft_new_setup(size, kind);
    this.inputPointer = pffft._pffft_aligned_malloc(floats * 4);
    this.outputPointer = pffft._pffft_aligned_malloc(floats * 4);
    this.workPointer = pffft._pffft_aligned_malloc(floats * 4);
  }

  private views(): void {
    if (this.heap === pffft.HEAPF32.buffer) return;
    this.heap = pffft.HEAPF32.buffer as ArrayBuffer;
    this.inputView = new Float32Array(this.heap, this.inputPointer, this.floats);
    this.outputView = new Float32Array(this.heap, this.outputPointer, this.floats);
  }

  /** Write the transform's input here before calling forward() or inverse(). */
  get input(): Float32Array {
    this.views();
    return this.inputView;
  }

  /** The last transform's result; overwritten by the next call. */
  get output(): Float32Array {
    this.views();
    return this.outputView;
  }

  /**
   * For each index of the ordered layout, where that value lies in the internal one (the layout
   * runUnordered() leaves): made once per transform, by reordering the indices themselves.
   */
  private orderMap: Int32Array | null = null;

  get internalIndexOfOrdered(): Int32Array {
    if (!this.orderMap) {
      const input = this.input;
      for (let i = 0; i < this.floats; i++) input[i] = i;
      pffft._pffft_zreorder(this.setup, this.inputPointer, this.outputPointer, FORWARD);
      this.orderMap = Int32Array.from(this.output);
    }
    return this.orderMap;
  }

  /**
   * The transform without its last pass, which only permutes the frequency domain into order:
   * forward output in PFFFT's internal layout (read it through internalIndexOfOrdered). The values
   * are the ordered transform's, bit for bit.
   */
  protected runUnordered(direction: typeof FORWARD | typeof BACKWARD): Float32Array {
    pffft._pffft_transform(this.setup, this.inputPointer, this.outputPointer, this.workPointer, direction);
    return this.output;
  }

  protected run(direction: typeof FORWARD | typeof BACKWARD): Float32Array {
    pffft._pffft_transform_ordered(
      this.setup,
      this.inputPointer,
      this.outputPointer,
      this.workPointer,
      direction,
    );
    return this.output;
  }
}

/**
 * Forward transform of `size` real samples. Output layout (PFFFT "ordered"): [X0.re, X(N/2).re,
 * X1.re, X1.im, X2.re, X2.im, ...]; both X0 and X(N/2) are real.
 */
export class RealFft extends HeapTransform {
  constructor(size: number) {
    super(size, REAL, size);
  }

  forward(): Float32Array {
    return this.run(FORWARD);
  }

  /** forward() in PFFFT's internal layout: the value of ordered index i is at internalIndexOfOrdered[i]. */
  forwardUnordered(): Float32Array {
    return this.runUnordered(FORWARD);
  }
}

/** Complex transform of `size` points, interleaved [re, im]; inverse() is unscaled (×size). */
export class ComplexFft extends HeapTransform {
  constructor(size: number) {
    super(size, COMPLEX, 2 * size);
  }

  forward(): Float32Array {
    return this.run(FORWARD);
  }

  inverse(): Float32Array {
    return this.run(BACKWARD);
  }
}

/**
 * PFFFT's buffers live in the WebAssembly heap, which JavaScript's collector never frees and which
 * stops at 2 GB: an analysis that made its own transforms leaked them, and a batch of high-rate
 * records (or an edge agent re-planning as speeds change) ran out of heap after a few hundred
 * analyses ("memory access out of bounds"). Analyses run synchronously and copy what they keep out
 * of the transforms' buffers, so one transform per role and size serves them all; the role keeps
 * apart transforms one analysis uses at once (the signal's spectrum is read while the band's
 * envelope is transformed).
 */
const pooled = new Map<string, RealFft | ComplexFft>();

export function pooledRealFft(role: string, size: number): RealFft {
  const key = `real ${role} ${size}`;
  let fft = pooled.get(key);
  if (!fft) pooled.set(key, (fft = new RealFft(size)));
  return fft as RealFft;
}

export function pooledComplexFft(role: string, size: number): ComplexFft {
  const key = `complex ${role} ${size}`;
  let fft = pooled.get(key);
  if (!fft) pooled.set(key, (fft = new ComplexFft(size)));
  return fft as ComplexFft;
}

/**
 * Squared magnitudes |X_k|² for k = 0..N/2 of a real signal of power-of-two length N.
 * Returns a new array of N/2 + 1 values.
 */
export function powerOfRealSignal(signal: ArrayLike<number>): Float64Array {
  const size = signal.length;
  const fft = pooledRealFft('power', size);
  fft.input.set(signal);
  const out = fft.forward();
  const half = size / 2;
  const power = new Float64Array(half + 1);
  power[0] = out[0]! * out[0]!;
  power[half] = out[1]! * out[1]!;
  for (let k = 1; k < half; k++) power[k] = out[2 * k]! * out[2 * k]! + out[2 * k + 1]! * out[2 * k + 1]!;
  return power;
}
