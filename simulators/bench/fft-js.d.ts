// fft-js (the reference FFT used as a test oracle) ships no types.
declare module 'fft-js' {
  export function fft(signal: number[]): [number, number][];
  const api: { fft: typeof fft };
  export default api;
}
