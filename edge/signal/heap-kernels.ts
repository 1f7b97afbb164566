/*
 * Per-bin loops of the envelope that run inside PFFFT's WebAssembly memory, as WebAssembly SIMD:
 * the pre-whitening of the carrier band and the squared envelope relative to its mean. In
 * JavaScript they cost as much as the transforms around them (V8 does not vectorise, and each bin
 * needs a square root and a division); here two bins share each f64x2 instruction.
 *
 * The module is a few hundred bytes assembled below rather than a build artefact: no WebAssembly
 * toolchain is needed to build or install the project. Every operation is the one the JavaScript
 * kernels in spectrum-kernels.ts perform, in double precision and in the same order (float32
 * promoted, squared, summed, root, divide, product, rounded back to float32), so the results are
 * bit for bit theirs; spectrum-kernels.test.ts checks that.
 */

/** The little of the WebAssembly API used here: the project's lib (ES2023, no DOM) declares none. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: (new (descriptor: { initial: number }) => WasmMemory) & { prototype: WasmMemory };
}
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const name = (text: string): number[] => [...unsignedLeb(text.length), ...new TextEncoder().encode(text)];
const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...unsignedLeb(bytes.length), ...bytes];
const body = (code: number[]): number[] => [...unsignedLeb(code.length), ...code];

function f64Bytes(value: number): number[] {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return [...bytes];
}

const get = (local: number) => [0x20, local];
const set = (local: number) => [0x21, local];
const i32Const = (value: number) => [0x41, ...signedLeb(value)];
const f64Const = (value: number) => [0x44, ...f64Bytes(value)];
const I32_ADD = [0x6a];
const I32_SUB = [0x6b];
const I32_EQZ = [0x45];
const I32_POPCNT = [0x69];
const simd = (opcode: number, ...immediates: number[]) => [0xfd, ...unsignedLeb(opcode), ...immediates];
/** memarg: alignment hint 0 (always valid), byte offset. */
const memarg = (offset: number) => [0, ...unsignedLeb(offset)];
const LOAD64_ZERO = (offset: number) => simd(93, ...memarg(offset));
const STORE64_LANE0 = (offset: number) => simd(91, ...memarg(offset), 0);
const PROMOTE_LOW = simd(95);
const DEMOTE_ZERO = simd(94);
const SPLAT = simd(20);
const GT = simd(74);
const AND = simd(78);
const BITMASK = simd(196);
const SQRT = simd(239);
const ADD = simd(240);
const SUB = simd(241);
const MUL = simd(242);
const DIV = simd(243);
const PMIN = simd(246);
const PMAX = simd(247);
const LOAD = (offset: number) => simd(0, ...memarg(offset));
const STORE = (offset: number) => simd(11, ...memarg(offset));
const lanes = (first: number, second: number) => [
  ...Array.from({ length: 8 }, (_, i) => first * 8 + i),
  ...Array.from({ length: 8 }, (_, i) => second * 8 + i),
];
const SHUFFLE = (first: number, second: number) => simd(13, ...lanes(first, second));
/** [x.0, y.0] and [x.1, y.1] of two f64x2 (lane 2 is y.0, lane 3 is y.1); [x.0, x.0] and [x.1, x.1]. */
const FIRSTS = SHUFFLE(0, 2);
const SECONDS = SHUFFLE(1, 3);
const FIRST_TWICE = SHUFFLE(0, 0);
const SECOND_TWICE = SHUFFLE(1, 1);
const LOOP_START = [0x02, 0x40, 0x03, 0x40];
const LOOP_END = [0x0c, 0, 0x0b, 0x0b];
const END = [0x0b];
/** Leaves the loop when the pair count (local 1) is exhausted. */
const EXIT_WHEN_DONE = [...get(1), ...I32_EQZ, 0x0d, 1];
const advance = (local: number, bytes: number) => [
  ...get(local),
  ...i32Const(bytes),
  ...I32_ADD,
  ...set(local),
];
const COUNT_DOWN = [...get(1), ...i32Const(1), ...I32_SUB, ...set(1)];
/** Two complex float32 at the address on the stack, promoted: [re0, im0] into a, [re1, im1] into b. */
const loadPair = (address: number, a: number, b: number) => [
  ...get(address),
  ...LOAD64_ZERO(0),
  ...PROMOTE_LOW,
  ...set(a),
  ...get(address),
  ...LOAD64_ZERO(8),
  ...PROMOTE_LOW,
  ...set(b),
];
/** Pushes [re0² + im0², re1² + im1²]; uses scratch locals s and t. */
const squaredMagnitudes = (a: number, b: number, s: number, t: number) => [
  ...get(a),
  ...get(a),
  ...MUL,
  ...set(s),
  ...get(b),
  ...get(b),
  ...MUL,
  ...set(t),
  ...get(s),
  ...get(t),
  ...FIRSTS,
  ...get(s),
  ...get(t),
  ...SECONDS,
  ...ADD,
];

/**
 * whitenPairs(source, pairs, destination) → bins whitened: each complex bin at unit magnitude,
 * +0 where its magnitude is 0 (or not a number), as whitenBand.
 * Locals: 0 source, 1 pairs, 2 destination | 3 count | 4 a, 5 b, 6 squared, 7 mask, 8 inverse.
 */
const WHITEN = [
  ...vector([
    [1, I32],
    [5, V128],
  ]),
  ...LOOP_START,
  ...EXIT_WHEN_DONE,
  ...loadPair(0, 4, 5),
  ...squaredMagnitudes(4, 5, 7, 8),
  ...set(6),
  ...get(6),
  ...f64Const(0),
  ...SPLAT,
  ...GT,
  ...set(7),
  ...f64Const(1),
  ...SPLAT,
  ...get(6),
  ...SQRT,
  ...DIV,
  ...set(8),
  ...[
    [4, FIRST_TWICE, 0],
    [5, SECOND_TWICE, 8],
  ].flatMap(([bin, lane, offset]) => [
    ...get(2),
    ...get(bin as number),
    ...get(8),
    ...get(8),
    ...(lane as number[]),
    ...MUL,
    ...get(7),
    ...get(7),
    ...(lane as number[]),
    ...AND,
    ...DEMOTE_ZERO,
    ...STORE64_LANE0(offset as number),
  ]),
  ...get(3),
  ...get(7),
  ...BITMASK,
  ...I32_POPCNT,
  ...I32_ADD,
  ...set(3),
  ...advance(0, 16),
  ...advance(2, 16),
  ...COUNT_DOWN,
  ...LOOP_END,
  ...get(3),
  ...END,
];

/**
 * relativeSquaredPairs(source, pairs, destination, inverseMean): destination[i] = |source_i|² ·
 * inverseMean − 1 in float32, two points per step, as relativeSquaredEnvelope.
 * Locals: 0 source, 1 pairs, 2 destination, 3 inverseMean | 4 a, 5 b, 6 s, 7 t.
 */
const RELATIVE_SQUARED = [
  ...vector([[4, V128]]),
  ...LOOP_START,
  ...EXIT_WHEN_DONE,
  ...loadPair(0, 4, 5),
  ...get(2),
  ...squaredMagnitudes(4, 5, 6, 7),
  ...get(3),
  ...SPLAT,
  ...MUL,
  ...f64Const(1),
  ...SPLAT,
  ...SUB,
  ...DEMOTE_ZERO,
  ...STORE64_LANE0(0),
  ...advance(0, 16),
  ...advance(2, 8),
  ...COUNT_DOWN,
  ...LOOP_END,
  ...END,
];

/**
 * windowMoments(samples, window, out, pairs, shift, sums): out[i] = float32(samples[i] · window[i])
 * for 2·pairs float64 samples, and per lane (even and odd samples) the sums of d, d², d³, d⁴ with
 * d = sample − shift and the extremes (pmin/pmax: `if (x < min) min = x`), stored as six f64x2 at
 * sums for the caller to add the lanes: windowWithMoments with its sums split in two chains.
 * Locals: 0 samples, 1 window, 2 out, 3 pairs, 4 shift, 5 sums | 6 x, 7 d, 8 d², 9 s1, 10 s2,
 * 11 s3, 12 s4, 13 min, 14 max, 15 shift splat.
 */
const WINDOW_MOMENTS = [
  ...vector([[10, V128]]),
  ...get(4),
  ...SPLAT,
  ...set(15),
  ...get(15),
  ...set(13),
  ...get(15),
  ...set(14),
  ...LOOP_START,
  ...[...get(3), ...I32_EQZ, 0x0d, 1],
  ...get(0),
  ...LOAD(0),
  ...set(6),
  ...get(2),
  ...get(6),
  ...get(1),
  ...LOAD(0),
  ...MUL,
  ...DEMOTE_ZERO,
  ...STORE64_LANE0(0),
  ...get(6),
  ...get(15),
  ...SUB,
  ...set(7),
  ...get(7),
  ...get(7),
  ...MUL,
  ...set(8),
  ...[...get(9), ...get(7), ...ADD, ...set(9)],
  ...[...get(10), ...get(8), ...ADD, ...set(10)],
  ...[...get(11), ...get(8), ...get(7), ...MUL, ...ADD, ...set(11)],
  ...[...get(12), ...get(8), ...get(8), ...MUL, ...ADD, ...set(12)],
  ...[...get(13), ...get(6), ...PMIN, ...set(13)],
  ...[...get(14), ...get(6), ...PMAX, ...set(14)],
  ...advance(0, 16),
  ...advance(1, 16),
  ...advance(2, 8),
  ...[...get(3), ...i32Const(1), ...I32_SUB, ...set(3)],
  ...LOOP_END,
  ...[9, 10, 11, 12, 13, 14].flatMap((local, i) => [...get(5), ...get(local), ...STORE(16 * i)]),
  ...END,
];

const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(
    1,
    vector([
      [0x60, ...vector([[I32], [I32], [I32]]), ...vector([[I32]])],
      [0x60, ...vector([[I32], [I32], [I32], [F64]]), ...vector([])],
      [0x60, ...vector([[I32], [I32], [I32], [I32], [F64], [I32]]), ...vector([])],
    ]),
  ),
  // The memory is imported, at least one page, no maximum: PFFFT's, whatever it has grown to.
  ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
  ...section(3, vector([[0], [1], [2]])),
  ...section(
    7,
    vector([
      [...name('whitenPairs'), 0x00, 0],
      [...name('relativeSquaredPairs'), 0x00, 1],
      [...name('windowMoments'), 0x00, 2],
    ]),
  ),
  ...section(10, vector([body(WHITEN), body(RELATIVE_SQUARED), body(WINDOW_MOMENTS)])),
]);

export interface HeapKernels {
  readonly memory: WasmMemory;
  whitenPairs(source: number, pairs: number, destination: number): number;
  relativeSquaredPairs(source: number, pairs: number, destination: number, inverseMean: number): void;
  windowMoments(
    samples: number,
    window: number,
    out: number,
    pairs: number,
    shift: number,
    sums: number,
  ): void;
}

/** The kernels on a memory (PFFFT's): addresses are byte offsets into it. */
export function heapKernels(memory: WasmMemory): HeapKernels {
  const instance = new wasmApi.Instance(new wasmApi.Module(MODULE), { env: { memory } });
  const exports = instance.exports as unknown as Omit<HeapKernels, 'memory'>;
  return {
    memory,
    whitenPairs: exports.whitenPairs,
    relativeSquaredPairs: exports.relativeSquaredPairs,
    windowMoments: exports.windowMoments,
  };
}
