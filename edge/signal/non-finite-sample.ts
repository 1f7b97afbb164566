/**
 * A waveform with a NaN or an Infinity among its samples: bad input, refused by whoever delivered
 * it (an MQTT binary payload names the sample's byte), never analysed.
 */
export class NonFiniteSampleError extends Error {
  constructor(
    readonly index: number,
    readonly value: number,
  ) {
    super(`sample ${index} is ${value}; every sample must be a finite number`);
    this.name = 'NonFiniteSampleError';
  }
}

/**
 * Refuses the samples when statistics the analysis computed over all of them are not finite (one
 * NaN or Infinity makes them so): the check costs nothing on good data, and only a bad waveform
 * is searched for the culprit. A finite sample so large that its square overflows is not refused.
 */
export function refuseNonFinite(samples: ArrayLike<number>, rms: number, peak: number): void {
  if (Number.isFinite(rms) && Number.isFinite(peak)) return;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i]!;
    if (!Number.isFinite(value)) throw new NonFiniteSampleError(i, value);
  }
}
