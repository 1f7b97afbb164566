/*
 * The noise floor's median (spectral-lines.ts, medianByBuckets) natively: the element of rank
 * count / 2 of spectrum[from, to) and spectrum[from2, to2). A median selects a value and computes
 * none, so this returns exactly what the JavaScript one returns; it takes a third of its time,
 * and a diagnosis takes dozens of them. Same method: the values' high 32 bits order non-negative
 * doubles as the values do, one pass finds their range, one counts them into buckets of it, and
 * only the bucket holding the median's rank is copied and searched. NaN when a value is negative,
 * −0, infinite or NaN, where that order does not hold: the caller then takes its own quickselect.
 */
#include "addon.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 64

static inline int32_t high_word(double value) {
  uint64_t bits;
  memcpy(&bits, &value, sizeof bits);
  return (int32_t)(bits >> 32);
}

/* The element of rank `rank` of values[0, count) by quickselect; reorders them. */
static double select_rank(double *values, int count, int rank) {
  int low = 0, high = count - 1;
  while (low < high) {
    double pivot = values[(low + high) >> 1];
    int i = low, j = high;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        double t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (rank <= j) high = j;
    else if (rank >= i) low = i;
    else break;
  }
  return values[rank];
}

/* Runs longer than this take the heap for their working copies (a window is ±50 % of a line). */
#define STACK_VALUES 2048

static double median_by_buckets(const double *spectrum, int from, int to, int from2, int to2) {
  int count = (to - from) + (to2 - from2);
  if (count <= 0 || count > 1 << 24) return NAN;
  /* The values and their high words side by side, read once from the spectrum. */
  double stack_values[STACK_VALUES];
  int32_t stack_words[STACK_VALUES];
  double *values = count <= STACK_VALUES ? stack_values : malloc(sizeof(double) * (size_t)count);
  int32_t *words = count <= STACK_VALUES ? stack_words : malloc(sizeof(int32_t) * (size_t)count);
  double median = NAN;
  if (!values || !words) goto done;
  memcpy(values, spectrum + from, sizeof(double) * (size_t)(to - from));
  memcpy(values + (to - from), spectrum + from2, sizeof(double) * (size_t)(to2 - from2));
  int32_t min = INT32_MAX, max = -1;
  for (int k = 0; k < count; k++) {
    int32_t word = high_word(values[k]);
    words[k] = word;
    min = word < min ? word : min;
    max = word > max ? word : max;
  }
  /* A sign bit (negative, −0) reads as a negative word; infinities and NaN have all exponent bits set. */
  if (min < 0 || max >= 0x7ff00000) goto done;
  int shift = 0;
  while (((max - min) >> shift) >= BUCKETS) shift++;
  int counts[BUCKETS] = {0};
  for (int k = 0; k < count; k++) counts[(words[k] - min) >> shift]++;
  int rank = count >> 1, bucket = 0;
  while (rank >= counts[bucket]) rank -= counts[bucket++];
  /* The bucket's values, gathered to the front of values[] (k ≥ n always: nothing unread is overwritten). */
  int n = 0;
  for (int k = 0; k < count; k++)
    if (((words[k] - min) >> shift) == bucket) values[n++] = values[k];
  median = select_rank(values, n, rank);
done:
  if (values != stack_values) free(values);
  if (words != stack_words) free(words);
  return median;
}

/* medianOfRuns(spectrum: Float64Array, from, to, from2, to2): number (NaN: use the quickselect). */
napi_value spectral_median_of_runs(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  int bounds[4];
  if (argc < 5 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "medianOfRuns(spectrum: Float64Array, from, to, from2, to2)");
    return NULL;
  }
  for (int i = 0; i < 4; i++) {
    if (napi_get_value_int32(env, argv[i + 1], &bounds[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "medianOfRuns: the run bounds must be integers");
      return NULL;
    }
  }
  int from = bounds[0], to = bounds[1], from2 = bounds[2], to2 = bounds[3];
  if (from < 0 || to < from || from2 < 0 || to2 < from2 || (size_t)to > length || (size_t)to2 > length) {
    napi_throw_range_error(env, NULL, "medianOfRuns: a run lies outside the spectrum");
    return NULL;
  }
  napi_create_double(env, median_by_buckets(data, from, to, from2, to2), &result);
  return result;
}
