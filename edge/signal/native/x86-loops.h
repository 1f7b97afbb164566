#ifndef PLANTWATCH_X86_LOOPS_H
#define PLANTWATCH_X86_LOOPS_H
/*
 * The two per-window loops that the compiler's own vectorising leaves slow, written with x86
 * intrinsics, for AVX-512 and for AVX2 with FMA: used only where the CPU has them (x86_loops()),
 * else the portable loops in window-spectra.c run.
 */

enum x86_loops { X86_LOOPS_NONE = 0, X86_LOOPS_AVX2_FMA = 1, X86_LOOPS_AVX512 = 2 };

/*
 * The widest set this build has and the CPU runs; PLANTWATCH_NATIVE_LOOPS=portable chooses none,
 * =avx2 at most AVX2 (to compare, or to rule these loops out).
 */
enum x86_loops x86_loops(void);

/* Windowing with the moment sums around x[0], as window-spectra.c's window_moments_*. */
void window_moments_float_avx2(const float *x, const double *w, float *out, int n, double *sums);
void window_moments_double_avx2(const double *x, const double *w, float *out, int n, double *sums);
void window_moments_float_avx512(const float *x, const double *w, float *out, int n, double *sums);
void window_moments_double_avx512(const double *x, const double *w, float *out, int n, double *sums);

/* Cepstral pre-whitening of `bins` interleaved complex bins, as window-spectra.c's whiten. */
int whiten_avx2(const float *spectrum, int bins, float *out);
int whiten_avx512(const float *spectrum, int bins, float *out);

#endif
