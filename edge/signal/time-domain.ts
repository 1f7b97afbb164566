export const STANDARD_GRAVITY = 9.80665;

export interface TimeDomainStats {
  rms: number;
  peak: number;
  crestFactor: number;
  kurtosis: number;
}

/** Statistics of the signal around its mean: a DC offset from the sensor is not vibration. */
export function timeDomainStats(samples: Float32Array | Float64Array | number[]): TimeDomainStats {
  const n = samples.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i]!;
  mean /= n;
  let m2 = 0;
  let m4 = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const d = samples[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
    const a = Math.abs(d);
    if (a > peak) peak = a;
  }
  m2 /= n;
  m4 /= n;
  const rms = Math.sqrt(m2);
  return { rms, peak, crestFactor: rms > 0 ? peak / rms : 0, kurtosis: m2 > 0 ? m4 / (m2 * m2) : 0 };
}
