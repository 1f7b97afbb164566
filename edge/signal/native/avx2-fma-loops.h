#ifndef PLANTWATCH_AVX2_FMA_LOOPS_H
#define PLANTWATCH_AVX2_FMA_LOOPS_H
/*
 * The two per-window loops that the compiler's own vectorising leaves slow, written with x86
 * AVX2/FMA intrinsics: used only where the CPU has both (avx2_fma_available()), else the portable
 * loops in window-spectra.c run.
 */

/* 1 when this build has the loops, the CPU runs them and PLANTWATCH_NATIVE_LOOPS is not `portable`. */
int avx2_fma_available(void);

/* Windowing with the moment sums around x[0], as window-spectra.c's window_moments_*. */
void window_moments_float_avx2(const float *x, const double *w, float *out, int n, double *sums);
void window_moments_double_avx2(const double *x, const double *w, float *out, int n, double *sums);

/* Cepstral pre-whitening of `bins` interleaved complex bins, as window-spectra.c's whiten. */
int whiten_avx2(const float *spectrum, int bins, float *out);

#endif
