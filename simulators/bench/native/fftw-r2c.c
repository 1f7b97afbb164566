/*
 * Native reference for `plantwatch bench`: FFTW's real-to-complex transform in single precision
 * (fftwf, float32 like the PFFFT/WebAssembly transform the analysis runs on), planned with
 * FFTW_MEASURE, timed over a fixed wall-clock budget.
 *
 * usage: fftw-r2c <seconds> <n> [<n> ...]
 * prints one line per size: {"n":16384,"opsPerSecond":123456.7,"precision":"single","plan":"FFTW_MEASURE"}
 */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int measure(int n, double seconds) {
  float *in = fftwf_alloc_real((size_t)n);
  fftwf_complex *out = fftwf_alloc_complex((size_t)n / 2 + 1);
  if (!in || !out) return 1;
  /* FFTW_MEASURE overwrites the arrays while planning: fill them afterwards. */
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_MEASURE);
  if (!plan) return 1;
  unsigned seed = 12345u;
  for (int i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    in[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
  for (int i = 0; i < 20; i++) fftwf_execute(plan);
  /* Calls in batches between clock reads, so reading the clock costs nothing measurable. */
  long calls = 0;
  double start = now_seconds();
  double elapsed = 0;
  volatile float sink = 0;
  while (elapsed < seconds && calls < 100000000L) {
    for (int i = 0; i < 64; i++) fftwf_execute(plan);
    calls += 64;
    sink += out[1][0];
    elapsed = now_seconds() - start;
  }
  printf("{\"n\":%d,\"opsPerSecond\":%.1f,\"precision\":\"single\",\"plan\":\"FFTW_MEASURE\"}\n", n,
         (double)calls / elapsed);
  fflush(stdout);
  fftwf_destroy_plan(plan);
  fftwf_free(in);
  fftwf_free(out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <seconds> <n> [<n> ...]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  if (!(seconds > 0 && seconds <= 60)) {
    fprintf(stderr, "seconds must be in (0, 60], got %s\n", argv[1]);
    return 2;
  }
  for (int a = 2; a < argc; a++) {
    int n = atoi(argv[a]);
    if (n < 2 || n > (1 << 24)) {
      fprintf(stderr, "size must be in [2, 16777216], got %s\n", argv[a]);
      return 2;
    }
    if (measure(n, seconds) != 0) {
      fprintf(stderr, "FFTW could not allocate or plan a transform of %d points\n", n);
      return 1;
    }
  }
  return 0;
}
