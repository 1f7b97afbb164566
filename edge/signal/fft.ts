import FFT from 'fft.js';

// fft.js (radix-4, precomputed tables) is the hot-path transform; fft-js stays in the tests as the oracle.
const transforms = new Map<number, FFT>();

function transformFor(size: number): FFT {
  let fft = transforms.get(size);
  if (!fft) {
    fft = new FFT(size);
    transforms.set(size, fft);
  }
  return fft;
}

export const isPowerOfTwo = (n: number): boolean => n >= 2 && (n & (n - 1)) === 0;

export function largestPowerOfTwoAtMost(n: number): number {
  return n < 2 ? 0 : 2 ** Math.floor(Math.log2(n));
}

/**
 * Squared magnitudes |X_k|² for k = 0..N/2 of a real signal of power-of-two length N.
 * Returns a new array of N/2 + 1 values.
 */
export function powerOfRealSignal(signal: ArrayLike<number>): Float64Array {
  const size = signal.length;
  if (!isPowerOfTwo(size)) throw new RangeError(`FFT size must be a power of two, got ${size}`);
  const fft = transformFor(size);
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, signal as number[]);
  const half = size / 2;
  const power = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    const re = out[2 * k] ?? 0;
    const im = out[2 * k + 1] ?? 0;
    power[k] = re * re + im * im;
  }
  return power;
}
