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

static double median_by_buckets(const double *spectrum, int from, int to, int from2, int to2) {
  int count = (to - from) + (to2 - from2);
  if (count <= 0) return NAN;
  int32_t min = INT32_MAX, max = -1;
  for (int k = from; k < to; k++) {
    int32_t word = high_word(spectrum[k]);
    min = word < min ? word : min;
    max = word > max ? word : max;
  }
  for (int k = from2; k < to2; k++) {
    int32_t word = high_word(spectrum[k]);
    min = word < min ? word : min;
    max = word > max ? word : max;
  }
  /* A sign bit (negative, −0) reads as a negative word; infinities and NaN have all exponent bits set. */
  if (min < 0 || max >= 0x7ff00000) return NAN;
  int shift = 0;
  while (((max - min) >> shift) >= BUCKETS) shift++;
  int counts[BUCKETS] = {0};
  for (int k = from; k < to; k++) counts[(high_word(spectrum[k]) - min) >> shift]++;
  for (int k = from2; k < to2; k++) counts[(high_word(spectrum[k]) - min) >> shift]++;
  int rank = count >> 1, bucket = 0;
  while (rank >= counts[bucket]) rank -= counts[bucket++];
  double stack[512];
  double *held = counts[bucket] <= 512 ? stack : malloc(sizeof(double) * (size_t)counts[bucket]);
  if (!held) return NAN;
  int n = 0;
  for (int k = from; k < to; k++)
    if (((high_word(spectrum[k]) - min) >> shift) == bucket) held[n++] = spectrum[k];
  for (int k = from2; k < to2; k++)
    if (((high_word(spectrum[k]) - min) >> shift) == bucket) held[n++] = spectrum[k];
  double median = select_rank(held, n, rank);
  if (held != stack) free(held);
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
