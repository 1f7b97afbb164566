#ifndef PLANTWATCH_MOMENT_SUMS_H
#define PLANTWATCH_MOMENT_SUMS_H
/*
 * One sample into a window's moment sums s[0..5] (s1, s2, s3, s4 around `shift`, min, max), and
 * windowed into out: the samples past the last whole vector, in every version of the loop
 * (window-spectra.c, x86-loops.c). A NaN never becomes the min or max.
 */
static inline void moment_sums_add(double v, double weight, float *out, double shift, double *s) {
  *out = (float)(v * weight);
  double d = v - shift, d2 = d * d;
  s[0] += d;
  s[1] += d2;
  s[2] += d2 * d;
  s[3] += d2 * d2;
  if (v < s[4]) s[4] = v;
  if (v > s[5]) s[5] = v;
}

/* A vector loop's lanes of minima and maxima into s[4] and s[5]. */
static inline void moment_sums_extremes(const double *lows, const double *highs, int lanes, double *s) {
  for (int j = 0; j < lanes; j++) {
    if (lows[j] < s[4]) s[4] = lows[j];
    if (highs[j] > s[5]) s[5] = highs[j];
  }
}

#endif
