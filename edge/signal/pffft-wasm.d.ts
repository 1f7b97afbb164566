// @echogarden/pffft-wasm (PFFFT compiled to WebAssembly with SIMD) ships no types.
declare module '@echogarden/pffft-wasm/simd' {
  export interface PffftModule {
    HEAPF32: Float32Array;
    _pffft_new_setup(size: number, transform: 0 | 1): number;
    _pffft_destroy_setup(setup: number): void;
    _pffft_aligned_malloc(bytes: number): number;
    _pffft_aligned_free(pointer: number): void;
    /** As _pffft_transform_ordered, with the frequency domain in PFFFT's internal order. */
    _pffft_transform(setup: number, input: number, output: number, work: number, direction: 0 | 1): void;
    /** Between the ordered and the internal frequency-domain layouts: a pure permutation. */
    _pffft_zreorder(setup: number, input: number, output: number, direction: 0 | 1): void;
    _pffft_transform_ordered(
      setup: number,
      input: number,
      output: number,
      work: number,
      direction: 0 | 1,
    ): void;
  }
  export interface PffftOptions {
    /** Emscripten's hook: instantiate the module with these imports and hand the instance to receive. */
    instantiateWasm?(
      imports: object,
      receive: (instance: { exports: Record<string, unknown> }, module: object) => unknown,
    ): unknown;
  }
  export default function createModule(options?: PffftOptions): Promise<PffftModule>;
}
