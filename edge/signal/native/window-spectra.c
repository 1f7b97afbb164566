/*
 * One window of the diagnosis's spectra, natively: the Hann window with the samples' moment sums,
 * the signal's power spectrum, and for each carrier band its pre-whitened squared-envelope
 * spectrum, with FFTW's single-precision transforms. It does exactly what SpectraAccumulator's
 * WebAssembly path does per window (spectra-accumulator.ts, spectrum-kernels.ts) in the same
 * order, so the two give the same spectra to float32 rounding; native-kernels.test.ts
 * checks that. Measured on the bench machine, FFTW runs the analysis's three transforms in about
 * half the time of PFFFT's WebAssembly build, and the per-bin loops vectorise here.
 *
 * Built by `npm run build` (build.ts) with the machine's C compiler when FFTW is installed;
 * without it the WebAssembly path is used and nothing else changes.
 *
 * Threads: plans are the process's (fftw-plans.c); buffers belong to a thread (its napi_env), so
 * worker threads never share one.
 */
#include "addon.h"
#include "moment-sums.h"
#include "x86-loops.h"
#include "fftw-plans.h"
#include <fftw3.h>
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* measuringPlans(): how many transforms are being re-planned in the background right now. */
napi_value window_spectra_measuring_plans(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_int32(env, shared_plans_refining(), &result);
  return result;
}

struct band {
  int first;
  int bins;
  int envelope_size;
  int last_bin;
  double scale;
  napi_ref sum_ref;
  double *sum;
  struct shared_plan *inverse;
  struct shared_plan *envelope_forward;
};

struct engine {
  int size;
  napi_ref window_ref;
  const double *window;
  napi_ref power_ref;
  double *power;
  int power_bins;
  int band_count;
  struct band *bands;
  struct shared_plan *forward;
  /* The largest band's envelope transform size. */
  int envelope_size;
  int windows;
};

/*
 * Buffers of one thread's analyses, shared by all its engines: an analysis runs to its end before
 * the next starts, and 64 channels with buffers of their own would hold 20 MB for nothing.
 */
struct scratch {
  int size;
  float *windowed;
  fftwf_complex *spectrum;
  int envelope_size;
  fftwf_complex *whitened;
  fftwf_complex *analytic;
  float *squared;
  fftwf_complex *envelope;
};

static void free_envelope_scratch(struct scratch *s) {
  fftwf_free(s->whitened);
  fftwf_free(s->analytic);
  fftwf_free(s->squared);
  fftwf_free(s->envelope);
  s->whitened = s->analytic = s->envelope = NULL;
  s->squared = NULL;
  s->envelope_size = 0;
}

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct scratch *s = data;
  fftwf_free(s->windowed);
  fftwf_free(s->spectrum);
  free_envelope_scratch(s);
  free(s);
}

/* This thread's scratch, grown to the sizes asked for; NULL when memory runs out. */
static struct scratch *scratch_for(napi_env env, int size, int envelope_size) {
  struct scratch *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok) return NULL;
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s || napi_set_instance_data(env, s, free_scratch, NULL) != napi_ok) {
      free(s);
      return NULL;
    }
  }
  if (s->size < size) {
    fftwf_free(s->windowed);
    fftwf_free(s->spectrum);
    s->windowed = fftwf_alloc_real(size);
    s->spectrum = fftwf_alloc_complex(size / 2 + 1);
    s->size = s->windowed && s->spectrum ? size : 0;
    if (!s->size) return NULL;
  }
  if (s->envelope_size < envelope_size) {
    free_envelope_scratch(s);
    s->whitened = fftwf_alloc_complex(envelope_size);
    s->analytic = fftwf_alloc_complex(envelope_size);
    s->squared = fftwf_alloc_real(envelope_size);
    s->envelope = fftwf_alloc_complex(envelope_size / 2 + 1);
    if (!s->whitened || !s->analytic || !s->squared || !s->envelope) {
      free_envelope_scratch(s);
      return NULL;
    }
    s->envelope_size = envelope_size;
  }
  return s;
}

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return NULL;                                                            \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_PLANTWATCH_NATIVE_SPECTRA", message);
  return NULL;
}

static void free_engine(napi_env env, void *data, void *hint) {
  (void)hint;
  struct engine *e = data;
  if (e->window_ref) napi_delete_reference(env, e->window_ref);
  if (e->power_ref) napi_delete_reference(env, e->power_ref);
  for (int b = 0; b < e->band_count; b++)
    if (e->bands[b].sum_ref) napi_delete_reference(env, e->bands[b].sum_ref);
  free(e->bands);
  free(e);
}

/* A Float64Array's data and length, or 0 when the value is not one. */
static int float64s(napi_env env, napi_value value, double **data, size_t *length) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void *raw;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_float64_array) return 0;
  *data = raw;
  return 1;
}

static int int_property(napi_env env, napi_value object, const char *name, int *out) {
  napi_value value;
  return napi_get_named_property(env, object, name, &value) == napi_ok &&
         napi_get_value_int32(env, value, out) == napi_ok;
}

/*
 * createEngine(size, window: Float64Array, power: Float64Array,
 *              bands: {first, bins, envelopeSize, lastBin, scale, sum: Float64Array}[])
 * The power and sum arrays are the caller's accumulators: addWindow adds into them.
 */
napi_value window_spectra_create_engine(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return fail(env, "createEngine(size, window, power, bands) takes four arguments");
  int size;
  if (napi_get_value_int32(env, argv[0], &size) != napi_ok || size < 32 || (size & (size - 1)) != 0)
    return fail(env, "window size must be a power of two of at least 32");
  double *window, *power;
  size_t window_length, power_length;
  if (!float64s(env, argv[1], &window, &window_length) || (int)window_length != size)
    return fail(env, "window must be a Float64Array of the window size");
  if (!float64s(env, argv[2], &power, &power_length) || power_length == 0 || (int)power_length > size / 2 + 1)
    return fail(env, "power must be a Float64Array of 1 to size / 2 + 1 bins");
  uint32_t band_count;
  if (napi_get_array_length(env, argv[3], &band_count) != napi_ok) return fail(env, "bands must be an array");

  struct engine *e = calloc(1, sizeof *e);
  if (!e) return fail(env, "out of memory");
  e->size = size;
  e->power = power;
  e->power_bins = (int)power_length;
  e->band_count = (int)band_count;
  e->bands = calloc(band_count ? band_count : 1, sizeof *e->bands);
  e->window = window;
  e->forward = shared_plan_for(REAL_FORWARD, size);
  napi_value external;
  if (!e->bands || !e->forward) {
    free_engine(env, e, NULL);
    return fail(env, "could not allocate the native spectra engine or plan its transform");
  }
  napi_create_reference(env, argv[1], 1, &e->window_ref);
  napi_create_reference(env, argv[2], 1, &e->power_ref);
  for (uint32_t b = 0; b < band_count; b++) {
    struct band *band = &e->bands[b];
    napi_value spec, sum_value;
    size_t sum_length;
    napi_value scale_value;
    int ok = napi_get_element(env, argv[3], b, &spec) == napi_ok &&
             int_property(env, spec, "first", &band->first) && int_property(env, spec, "bins", &band->bins) &&
             int_property(env, spec, "envelopeSize", &band->envelope_size) &&
             int_property(env, spec, "lastBin", &band->last_bin) &&
             napi_get_named_property(env, spec, "scale", &scale_value) == napi_ok &&
             napi_get_value_double(env, scale_value, &band->scale) == napi_ok &&
             napi_get_named_property(env, spec, "sum", &sum_value) == napi_ok &&
             float64s(env, sum_value, &band->sum, &sum_length);
    int m = band->envelope_size;
    /* A band whose envelope nobody reads (lastBin < 1) has no transforms at all. */
    if (ok && band->last_bin < 1) {
      band->envelope_size = 0;
      continue;
    }
    ok = ok && m >= 32 && (m & (m - 1)) == 0 && m <= size && band->first >= 1 && band->bins >= 1 &&
         band->bins <= m && band->first + band->bins <= size / 2 && band->last_bin < m / 2 &&
         band->last_bin < (int)sum_length;
    if (!ok) {
      free_engine(env, e, NULL);
      return fail(env, "each band needs first, bins, envelopeSize (a power of two), lastBin, scale and a sum array that fit the window");
    }
    napi_create_reference(env, sum_value, 1, &band->sum_ref);
    band->inverse = shared_plan_for(COMPLEX_BACKWARD, m);
    band->envelope_forward = shared_plan_for(REAL_FORWARD, m);
    if (!band->inverse || !band->envelope_forward) {
      free_engine(env, e, NULL);
      return fail(env, "could not plan the envelope transforms");
    }
    if (m > e->envelope_size) e->envelope_size = m;
  }
  if (napi_create_external(env, e, free_engine, NULL, &external) != napi_ok) {
    free_engine(env, e, NULL);
    return NULL;
  }
  return external;
}

/*
 * The hot loops are compiled twice, for AVX2 and for the baseline, and the loader picks the one the
 * CPU runs (GCC/Clang target_clones): a build moved to an older machine still runs.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VECTORISED __attribute__((target_clones("avx2", "default")))
#else
#define VECTORISED
#endif

/* Four doubles: GCC's and Clang's vector extension, so one source serves SSE2 and AVX2. */
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef long long v4l __attribute__((vector_size(32)));

/* Loads four samples as doubles, and a lane select (C has no vector ?:), as macros: no vector ABI. */
#define LOAD_FLOAT4(p) __builtin_convertvector(*(const v4f_unaligned *)(p), v4d)
#define LOAD_DOUBLE4(p) (*(const v4d_unaligned *)(p))
#define SELECT4(keep, a, b) ((v4d)(((v4l)(a) & (keep)) | ((v4l)(b) & ~(keep))))
typedef float v4f_unaligned __attribute__((vector_size(16), aligned(4)));
typedef double v4d_unaligned __attribute__((vector_size(32), aligned(8)));
typedef float v4f_store __attribute__((vector_size(16), aligned(4)));

/*
 * Windowing and the moment sums around shift, as sums[0..5]: s1, s2, s3, s4, min, max. Two
 * independent chains of four lanes each, added at the end, let the loop run as vectors exactly. A
 * NaN never becomes the min or max (as in the JavaScript kernel); the analysis refuses it by the
 * sums it leaves.
 */
#define WINDOW_WITH_MOMENTS(TYPE, LOAD)                                                            \
  VECTORISED static void window_moments_##TYPE(const TYPE *x, const double *w, float *out, int n, \
                                               double *sums) {                                     \
    double shift = x[0];                                                                           \
    v4d sh = {shift, shift, shift, shift};                                                         \
    v4d a1[2] = {{0}}, a2[2] = {{0}}, a3[2] = {{0}}, a4[2] = {{0}}, lo[2] = {sh, sh}, hi[2] = {sh, sh}; \
    int i = 0;                                                                                     \
    for (; i + 8 <= n; i += 8) {                                                                   \
      for (int h = 0; h < 2; h++) {                                                                \
        v4d v = LOAD(x + i + 4 * h);                                                               \
        *(v4f_store *)(out + i + 4 * h) = __builtin_convertvector(v * LOAD_DOUBLE4(w + i + 4 * h), v4f); \
        v4d d = v - sh, d2 = d * d;                                                                \
        a1[h] += d;                                                                                \
        a2[h] += d2;                                                                               \
        a3[h] += d2 * d;                                                                           \
        a4[h] += d2 * d2;                                                                          \
        lo[h] = SELECT4(v < lo[h], v, lo[h]);                                                      \
        hi[h] = SELECT4(v > hi[h], v, hi[h]);                                                      \
      }                                                                                            \
    }                                                                                              \
    double s[6] = {0, 0, 0, 0, shift, shift};                                                      \
    for (int h = 0; h < 2; h++) {                                                                  \
      for (int j = 0; j < 4; j++) {                                                                \
        s[0] += a1[h][j];                                                                          \
        s[1] += a2[h][j];                                                                          \
        s[2] += a3[h][j];                                                                          \
        s[3] += a4[h][j];                                                                          \
      }                                                                                            \
      double lows[4] = {lo[h][0], lo[h][1], lo[h][2], lo[h][3]};                                   \
      double highs[4] = {hi[h][0], hi[h][1], hi[h][2], hi[h][3]};                                  \
      moment_sums_extremes(lows, highs, 4, s);                                                     \
    }                                                                                              \
    for (; i < n; i++) moment_sums_add(x[i], w[i], out + i, shift, s);                             \
    memcpy(sums, s, sizeof s);                                                                     \
  }
WINDOW_WITH_MOMENTS(float, LOAD_FLOAT4)
WINDOW_WITH_MOMENTS(double, LOAD_DOUBLE4)

#define WINDOW_ONLY(TYPE)                                                                          \
  VECTORISED static void window_##TYPE(const TYPE *x, const double *w, float *out, int n) {        \
    for (int i = 0; i < n; i++) out[i] = (float)((double)x[i] * w[i]);                             \
  }
WINDOW_ONLY(float)
WINDOW_ONLY(double)

/* Windowing, with the moment sums when asked for, by the widest loops this CPU runs. */
#define WINDOW_SAMPLES(TYPE)                                                                       \
  static void window_##TYPE##_samples(const TYPE *x, const double *w, float *out, int n, double *sums) { \
    if (!sums) window_##TYPE(x, w, out, n);                                                        \
    else if (x86_loops() == X86_LOOPS_AVX512) window_moments_##TYPE##_avx512(x, w, out, n, sums); \
    else if (x86_loops() == X86_LOOPS_AVX2_FMA) window_moments_##TYPE##_avx2(x, w, out, n, sums);  \
    else window_moments_##TYPE(x, w, out, n, sums);                                                \
  }
WINDOW_SAMPLES(float)
WINDOW_SAMPLES(double)

static void accumulate_power(const struct engine *e, const struct scratch *s) {
  int half = e->size / 2;
  const fftwf_complex *X = s->spectrum;
  double *power = e->power;
  int end = e->power_bins < half ? e->power_bins : half;
  power[0] += (double)X[0][0] * X[0][0];
  if (e->power_bins > half) power[half] += (double)X[half][0] * X[half][0];
  for (int k = 1; k < end; k++) {
    double re = X[k][0], im = X[k][1];
    power[k] += re * re + im * im;
  }
}

/*
 * Cepstral pre-whitening: the band's bins at unit magnitude, shifted to baseband. In single
 * precision, which the transforms work in: a bin's phase is all that is kept, to float32 rounding.
 */
VECTORISED static int whiten(const float *restrict spectrum, int bins, float *restrict out) {
  int whitened = 0;
  for (int k = 0; k < bins; k++) {
    float re = spectrum[2 * k], im = spectrum[2 * k + 1];
    float squared = re * re + im * im;
    /* Computed for every bin and then selected, so that the loop has no branch and vectorises. */
    float root = 1.0f / sqrtf(squared > 0 ? squared : 1.0f);
    float inverse = squared > 0 ? root : 0.0f;
    out[2 * k] = re * inverse;
    out[2 * k + 1] = im * inverse;
    whitened += squared > 0;
  }
  return whitened;
}

/* The squared envelope relative to its mean (mean = 1 / inverse_mean), in single precision too. */
VECTORISED static void relative_squared(const float *restrict analytic, int m, double inverse_mean,
                                        float *restrict out) {
  float inverse = (float)inverse_mean;
  for (int i = 0; i < m; i++) {
    float re = analytic[2 * i], im = analytic[2 * i + 1];
    out[i] = (re * re + im * im) * inverse - 1.0f;
  }
}

VECTORISED static void accumulate_magnitude(const float *restrict spectrum, int last, double scale,
                                            double *restrict sum) {
  for (int k = 1; k <= last; k++) {
    double re = spectrum[2 * k], im = spectrum[2 * k + 1];
    sum[k] += sqrt(re * re + im * im) * scale;
  }
}

static void add_envelope(const struct scratch *s, struct band *band) {
  if (band->envelope_size == 0) return;
  int m = band->envelope_size;
  const float *bins = (const float *)(s->spectrum + band->first);
  float *whitened_bins = (float *)s->whitened;
  enum x86_loops loops = x86_loops();
  int whitened = loops == X86_LOOPS_AVX512  ? whiten_avx512(bins, band->bins, whitened_bins)
                 : loops == X86_LOOPS_AVX2_FMA ? whiten_avx2(bins, band->bins, whitened_bins)
                                               : whiten(bins, band->bins, whitened_bins);
  if (whitened == 0) return;
  memset(s->whitened + band->bins, 0, sizeof(fftwf_complex) * (size_t)(m - band->bins));
  fftwf_execute_dft(shared_plan_use(band->inverse), s->whitened, s->analytic);
  /* By Parseval the unscaled inverse of unit-magnitude bins has mean square = their count. */
  relative_squared((const float *)s->analytic, m, 1.0 / whitened, s->squared);
  fftwf_execute_dft_r2c(shared_plan_use(band->envelope_forward), s->squared, s->envelope);
  accumulate_magnitude((const float *)s->envelope, band->last_bin, band->scale, band->sum);
}

/* The engine's plans, for the background refinement its window count may start. */
static void refine_engine_plans(const struct engine *e, int windows) {
  struct shared_plan *entries[1 + 2 * 64];
  int count = 0;
  entries[count++] = e->forward;
  for (int b = 0; b < e->band_count && count + 2 <= (int)(sizeof entries / sizeof entries[0]); b++) {
    entries[count++] = e->bands[b].inverse;
    entries[count++] = e->bands[b].envelope_forward;
  }
  shared_plans_engine_windows(entries, count, windows);
}

/*
 * addWindow(engine, samples: Float32Array | Float64Array, start, band, sums?: Float64Array)
 * Adds samples[start, start + size) to the power sum and to band `band`'s envelope sum (−1: every
 * band's). With sums, also writes the window's moment sums around samples[start] to sums[0..5]:
 * s1, s2, s3, s4, min, max.
 */
napi_value window_spectra_add_window(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct engine *e;
  if (argc < 4 || napi_get_value_external(env, argv[0], (void **)&e) != napi_ok)
    return fail(env, "addWindow(engine, samples, start, band[, sums]) needs an engine");
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &offset) != napi_ok ||
      (type != napi_float32_array && type != napi_float64_array))
    return fail(env, "samples must be a Float32Array or a Float64Array");
  int start, band_index;
  if (napi_get_value_int32(env, argv[2], &start) != napi_ok || start < 0 || (size_t)start + e->size > length)
    return fail(env, "the window must lie within the samples");
  if (napi_get_value_int32(env, argv[3], &band_index) != napi_ok || band_index < -1 || band_index >= e->band_count)
    return fail(env, "no such band");
  double *sums = NULL;
  size_t sums_length = 0;
  napi_valuetype sums_type = napi_undefined;
  if (argc >= 5) napi_typeof(env, argv[4], &sums_type);
  if (sums_type != napi_undefined && sums_type != napi_null) {
    if (!float64s(env, argv[4], &sums, &sums_length) || sums_length < 6)
      return fail(env, "sums must be a Float64Array of at least 6 values");
  }
  struct scratch *s = scratch_for(env, e->size, e->envelope_size);
  if (!s) return fail(env, "out of memory for the native spectra buffers");
  if (type == napi_float32_array) {
    window_float_samples((const float *)data + start, e->window, s->windowed, e->size, sums);
  } else {
    window_double_samples((const double *)data + start, e->window, s->windowed, e->size, sums);
  }
  refine_engine_plans(e, ++e->windows);
  fftwf_execute_dft_r2c(shared_plan_use(e->forward), s->windowed, s->spectrum);
  accumulate_power(e, s);
  if (band_index >= 0) add_envelope(s, &e->bands[band_index]);
  else
    for (int b = 0; b < e->band_count; b++) add_envelope(s, &e->bands[b]);
  return NULL;
}

