/*
 * AVX-512 and AVX2/FMA versions of the windowing-with-moments and whitening loops (see x86-loops.h).
 *
 * Why by hand: GCC vectorised both from window-spectra.c's portable code, but measured on the bench
 * machine (N = 16384) the moments loop spilled an accumulator to the stack on every iteration and
 * took its minimum and maximum with compare-and-blend, about 11 µs a window; the whitening spent
 * about 7 µs in a square root and a division per bin. Here the moments keep one register per sum
 * (the two halves of eight samples are added before they join a sum, so each sum's dependency is
 * one addition per eight samples) and use vminpd/vmaxpd, and the whitening uses the reciprocal
 * square root estimate with one Newton step (relative error below 3e-7 from AVX2's 12-bit estimate,
 * about 1e-7 from AVX-512's 14-bit one, where the spectra's own float32 rounding is 6e-8; the
 * analysis's results agree with the portable loops to the tests' tolerance). Bins whose squared
 * magnitude is subnormal or overflows take the exact scalar path. AVX-512 does eight doubles or
 * sixteen floats per instruction and has 32 registers: measured on the bench machine (a Xeon with
 * AVX-512) the two loops' share of an analysis went from 12.8 % to 10.0 % (about 2.7 µs of a
 * window at N = 16384).
 */
#include "x86-loops.h"
#include "moment-sums.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AVX2_FMA __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx2,fma")))

enum x86_loops x86_loops(void) {
  static int known = -1; /* a race only writes the same answer twice */
  if (known < 0) {
    const char *choice = getenv("PLANTWATCH_NATIVE_LOOPS");
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f");
    if (choice && strcmp(choice, "portable") == 0) known = X86_LOOPS_NONE;
    else if (avx512 && !(choice && strcmp(choice, "avx2") == 0)) known = X86_LOOPS_AVX512;
    else known = avx2 ? X86_LOOPS_AVX2_FMA : X86_LOOPS_NONE;
  }
  return (enum x86_loops)known;
}

AVX2_FMA static inline __m256d load4_double(const double *p) { return _mm256_loadu_pd(p); }
AVX2_FMA static inline __m256d load4_float(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }

AVX2_FMA static inline double lane_sum(__m256d v) {
  __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

/*
 * minpd(a, b) is a < b ? a : b, so a NaN in a never wins: samples go first, the running extreme
 * last, and a NaN never becomes the min or max (as in the portable and JavaScript kernels).
 */
#define WINDOW_WITH_MOMENTS_AVX2(TYPE)                                                             \
  AVX2_FMA void window_moments_##TYPE##_avx2(const TYPE *x, const double *w, float *out, int n,   \
                                              double *sums) {                                      \
    double shift = x[0];                                                                           \
    __m256d sh = _mm256_set1_pd(shift);                                                            \
    __m256d a1 = _mm256_setzero_pd(), a2 = a1, a3 = a1, a4 = a1, lo = sh, hi = sh;                 \
    int i = 0;                                                                                     \
    for (; i + 8 <= n; i += 8) {                                                                   \
      __m256d v0 = load4_##TYPE(x + i), v1 = load4_##TYPE(x + i + 4);                              \
      _mm_storeu_ps(out + i, _mm256_cvtpd_ps(_mm256_mul_pd(v0, _mm256_loadu_pd(w + i))));          \
      _mm_storeu_ps(out + i + 4, _mm256_cvtpd_ps(_mm256_mul_pd(v1, _mm256_loadu_pd(w + i + 4))));  \
      __m256d d0 = _mm256_sub_pd(v0, sh), d1 = _mm256_sub_pd(v1, sh);                              \
      __m256d q0 = _mm256_mul_pd(d0, d0), q1 = _mm256_mul_pd(d1, d1);                              \
      a1 = _mm256_add_pd(a1, _mm256_add_pd(d0, d1));                                               \
      a2 = _mm256_add_pd(a2, _mm256_add_pd(q0, q1));                                               \
      a3 = _mm256_add_pd(a3, _mm256_fmadd_pd(q0, d0, _mm256_mul_pd(q1, d1)));                      \
      a4 = _mm256_add_pd(a4, _mm256_fmadd_pd(q0, q0, _mm256_mul_pd(q1, q1)));                      \
      lo = _mm256_min_pd(_mm256_min_pd(v0, v1), lo);                                               \
      hi = _mm256_max_pd(_mm256_max_pd(v0, v1), hi);                                               \
    }                                                                                              \
    double s[6] = {lane_sum(a1), lane_sum(a2), lane_sum(a3), lane_sum(a4), shift, shift};          \
    double lows[4], highs[4];                                                                      \
    _mm256_storeu_pd(lows, lo);                                                                    \
    _mm256_storeu_pd(highs, hi);                                                                   \
    moment_sums_extremes(lows, highs, 4, s);                                                       \
    for (; i < n; i++) moment_sums_add(x[i], w[i], out + i, shift, s);                             \
    for (int j = 0; j < 6; j++) sums[j] = s[j];                                                    \
  }
WINDOW_WITH_MOMENTS_AVX2(float)
WINDOW_WITH_MOMENTS_AVX2(double)

/* The exact whitening of one bin: for the bins the estimate cannot take, and the tail. */
static int whiten_bin(const float *spectrum, int k, float *out) {
  float re = spectrum[2 * k], im = spectrum[2 * k + 1];
  float squared = re * re + im * im;
  float inverse = squared > 0 ? 1.0f / sqrtf(squared) : 0.0f;
  out[2 * k] = re * inverse;
  out[2 * k + 1] = im * inverse;
  return squared > 0;
}

AVX2_FMA int whiten_avx2(const float *spectrum, int bins, float *out) {
  const __m256 zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f), three_halves = _mm256_set1_ps(1.5f);
  const __m256 smallest = _mm256_set1_ps(FLT_MIN), largest = _mm256_set1_ps(FLT_MAX);
  int whitened = 0, k = 0;
  for (; k + 4 <= bins; k += 4) {
    __m256 z = _mm256_loadu_ps(spectrum + 2 * k); /* re, im of four bins */
    __m256 parts = _mm256_mul_ps(z, z);
    /* re² + im² in both lanes of a bin, added in the portable loop's order. */
    __m256 squared = _mm256_add_ps(_mm256_moveldup_ps(parts), _mm256_movehdup_ps(parts));
    __m256 positive = _mm256_cmp_ps(squared, zero, _CMP_GT_OQ);
    __m256 outside = _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(squared, smallest, _CMP_LT_OQ), positive),
                                  _mm256_cmp_ps(squared, largest, _CMP_GT_OQ));
    if (_mm256_movemask_ps(outside)) {
      for (int j = k; j < k + 4; j++) whitened += whiten_bin(spectrum, j, out);
      continue;
    }
    __m256 y = _mm256_rsqrt_ps(squared);
    /* Newton: y · (3/2 − x/2 · y²) */
    y = _mm256_mul_ps(y, _mm256_fnmadd_ps(_mm256_mul_ps(_mm256_mul_ps(half, squared), y), y, three_halves));
    _mm256_storeu_ps(out + 2 * k, _mm256_mul_ps(z, _mm256_and_ps(y, positive)));
    whitened += __builtin_popcount((unsigned)_mm256_movemask_ps(positive)) / 2;
  }
  for (; k < bins; k++) whitened += whiten_bin(spectrum, k, out);
  return whitened;
}

AVX512 static inline __m512d load8_double(const double *p) { return _mm512_loadu_pd(p); }
AVX512 static inline __m512d load8_float(const float *p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }

/* The AVX-512 version of the same loop: sixteen samples, two vectors of eight, per iteration. */
#define WINDOW_WITH_MOMENTS_AVX512(TYPE)                                                           \
  AVX512 void window_moments_##TYPE##_avx512(const TYPE *x, const double *w, float *out, int n,    \
                                              double *sums) {                                      \
    double shift = x[0];                                                                           \
    __m512d sh = _mm512_set1_pd(shift);                                                            \
    __m512d a1 = _mm512_setzero_pd(), a2 = a1, a3 = a1, a4 = a1, lo = sh, hi = sh;                 \
    int i = 0;                                                                                     \
    for (; i + 16 <= n; i += 16) {                                                                 \
      __m512d v0 = load8_##TYPE(x + i), v1 = load8_##TYPE(x + i + 8);                              \
      _mm256_storeu_ps(out + i, _mm512_cvtpd_ps(_mm512_mul_pd(v0, _mm512_loadu_pd(w + i))));       \
      _mm256_storeu_ps(out + i + 8, _mm512_cvtpd_ps(_mm512_mul_pd(v1, _mm512_loadu_pd(w + i + 8)))); \
      __m512d d0 = _mm512_sub_pd(v0, sh), d1 = _mm512_sub_pd(v1, sh);                              \
      __m512d q0 = _mm512_mul_pd(d0, d0), q1 = _mm512_mul_pd(d1, d1);                              \
      a1 = _mm512_add_pd(a1, _mm512_add_pd(d0, d1));                                               \
      a2 = _mm512_add_pd(a2, _mm512_add_pd(q0, q1));                                               \
      a3 = _mm512_add_pd(a3, _mm512_fmadd_pd(q0, d0, _mm512_mul_pd(q1, d1)));                      \
      a4 = _mm512_add_pd(a4, _mm512_fmadd_pd(q0, q0, _mm512_mul_pd(q1, q1)));                      \
      lo = _mm512_min_pd(_mm512_min_pd(v0, v1), lo);                                               \
      hi = _mm512_max_pd(_mm512_max_pd(v0, v1), hi);                                               \
    }                                                                                              \
    double s[6] = {_mm512_reduce_add_pd(a1), _mm512_reduce_add_pd(a2), _mm512_reduce_add_pd(a3),   \
                   _mm512_reduce_add_pd(a4), shift, shift};                                        \
    double lows[8], highs[8];                                                                      \
    _mm512_storeu_pd(lows, lo);                                                                    \
    _mm512_storeu_pd(highs, hi);                                                                   \
    moment_sums_extremes(lows, highs, 8, s);                                                       \
    for (; i < n; i++) moment_sums_add(x[i], w[i], out + i, shift, s);                             \
    for (int j = 0; j < 6; j++) sums[j] = s[j];                                                    \
  }
WINDOW_WITH_MOMENTS_AVX512(float)
WINDOW_WITH_MOMENTS_AVX512(double)

AVX512 int whiten_avx512(const float *spectrum, int bins, float *out) {
  const __m512 zero = _mm512_setzero_ps(), half = _mm512_set1_ps(0.5f), three_halves = _mm512_set1_ps(1.5f);
  const __m512 smallest = _mm512_set1_ps(FLT_MIN), largest = _mm512_set1_ps(FLT_MAX);
  int whitened = 0, k = 0;
  for (; k + 8 <= bins; k += 8) {
    __m512 z = _mm512_loadu_ps(spectrum + 2 * k); /* re, im of eight bins */
    __m512 parts = _mm512_mul_ps(z, z);
    __m512 squared = _mm512_add_ps(_mm512_moveldup_ps(parts), _mm512_movehdup_ps(parts));
    __mmask16 positive = _mm512_cmp_ps_mask(squared, zero, _CMP_GT_OQ);
    __mmask16 outside = (__mmask16)((_mm512_cmp_ps_mask(squared, smallest, _CMP_LT_OQ) & positive) |
                                    _mm512_cmp_ps_mask(squared, largest, _CMP_GT_OQ));
    if (outside) {
      for (int j = k; j < k + 8; j++) whitened += whiten_bin(spectrum, j, out);
      continue;
    }
    __m512 y = _mm512_rsqrt14_ps(squared);
    y = _mm512_mul_ps(y, _mm512_fnmadd_ps(_mm512_mul_ps(_mm512_mul_ps(half, squared), y), y, three_halves));
    _mm512_storeu_ps(out + 2 * k, _mm512_maskz_mul_ps(positive, z, y));
    whitened += __builtin_popcount((unsigned)positive) / 2;
  }
  for (; k < bins; k++) whitened += whiten_bin(spectrum, k, out);
  return whitened;
}

#else

enum x86_loops x86_loops(void) { return X86_LOOPS_NONE; }
void window_moments_float_avx2(const float *x, const double *w, float *out, int n, double *sums) {
  (void)x, (void)w, (void)out, (void)n, (void)sums;
}
void window_moments_double_avx2(const double *x, const double *w, float *out, int n, double *sums) {
  (void)x, (void)w, (void)out, (void)n, (void)sums;
}
void window_moments_float_avx512(const float *x, const double *w, float *out, int n, double *sums) {
  (void)x, (void)w, (void)out, (void)n, (void)sums;
}
void window_moments_double_avx512(const double *x, const double *w, float *out, int n, double *sums) {
  (void)x, (void)w, (void)out, (void)n, (void)sums;
}
int whiten_avx2(const float *spectrum, int bins, float *out) {
  (void)spectrum, (void)bins, (void)out;
  return 0;
}
int whiten_avx512(const float *spectrum, int bins, float *out) {
  (void)spectrum, (void)bins, (void)out;
  return 0;
}

#endif
