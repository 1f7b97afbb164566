import type { SpectrumMark, SpectrumSnapshot } from './types.js';

/**
 * The arithmetic behind the spectrum chart's views, free of the DOM: which band to show first, how
 * far a pan moves, where harmonic cursors go, and how an earlier spectrum lines up with this one.
 */

export type Range = readonly [min: number, max: number];

/** Harmonic cursors run from 1× to this many times the clicked frequency. */
export const HARMONIC_CURSORS = 10;

/** Running-speed orders (`1×`, `2×`) against defect frequencies and their harmonics (`BPFO`, `2×BPFO`). */
export const isRunningSpeedOrder = (mark: SpectrumMark): boolean => /^\d+(\.\d+)?×$/.test(mark.label.trim());

/** The shaft rate a snapshot's marks state: its `1×`, else an order mark divided by its order. */
export function shaftHzOf(marks: readonly SpectrumMark[]): number | undefined {
  const order = marks.find((m) => m.label.trim() === '1×') ?? marks.find(isRunningSpeedOrder);
  if (!order) return undefined;
  const n = Number.parseFloat(order.label);
  return n > 0 && order.hz > 0 ? order.hz / n : undefined;
}

/**
 * What matters first: up to the highest mark with a fifth to spare, and at least ten orders of
 * running speed (looseness shows up to 10×); the whole snapshot when neither is known.
 */
export function defaultRange(fullMaxHz: number, marks: readonly SpectrumMark[], shaftHz?: number): Range {
  const highestMark = marks.reduce((max, m) => (m.hz <= fullMaxHz && m.hz > max ? m.hz : max), 0);
  const wanted = Math.max(highestMark * 1.2, shaftHz ? 10 * shaftHz : 0);
  return [0, wanted > 0 ? Math.min(fullMaxHz, wanted) : fullMaxHz];
}

/** The view moved by `fraction` of its width (negative: to lower frequencies), kept inside `full`. */
export function pan(view: Range, full: Range, fraction: number): Range {
  const width = Math.min(view[1] - view[0], full[1] - full[0]);
  const min = Math.min(Math.max(full[0], view[0] + fraction * width), full[1] - width);
  return [min, min + width];
}

export const harmonicsOf = (hz: number, count = HARMONIC_CURSORS): number[] =>
  Array.from({ length: count }, (_, i) => (i + 1) * hz);

/**
 * The line a click meant: the tallest bin within `reachBins` of the clicked frequency, so that a
 * click a few pixels beside a narrow line still lands on it.
 */
export function nearestPeakHz(snapshot: SpectrumSnapshot, hz: number, reachBins: number): number {
  const centre = Math.round(hz / snapshot.binHz);
  let best = Math.min(Math.max(centre, 0), snapshot.amplitudes.length - 1);
  const reach = Math.max(1, Math.round(reachBins));
  for (
    let k = Math.max(0, centre - reach);
    k <= Math.min(snapshot.amplitudes.length - 1, centre + reach);
    k++
  ) {
    if ((snapshot.amplitudes[k] ?? 0) > (snapshot.amplitudes[best] ?? 0)) best = k;
  }
  return best * snapshot.binHz;
}

/**
 * An earlier snapshot on this one's frequencies: each point takes the tallest earlier bin within its
 * half-bin either side (a peak is never averaged away), or the nearest bin when the earlier one is
 * coarser; null beyond the earlier snapshot's end.
 */
export function resampleOnto(earlier: SpectrumSnapshot, frequencies: readonly number[]): (number | null)[] {
  const step = frequencies.length > 1 ? frequencies[1]! - frequencies[0]! : earlier.binHz;
  const lastHz = (earlier.amplitudes.length - 1) * earlier.binHz;
  return frequencies.map((hz) => {
    if (hz > lastHz + earlier.binHz / 2) return null;
    const from = Math.max(0, Math.ceil((hz - step / 2) / earlier.binHz));
    const to = Math.min(earlier.amplitudes.length - 1, Math.floor((hz + step / 2) / earlier.binHz));
    if (to < from) return earlier.amplitudes[Math.round(hz / earlier.binHz)] ?? null;
    let max = 0;
    for (let k = from; k <= to; k++) max = Math.max(max, earlier.amplitudes[k] ?? 0);
    return max;
  });
}

/**
 * A clicked line that is a marked one (within a bin) takes the mark's exact frequency: a 1 Hz bin
 * holding 1× at 29.67 Hz would otherwise put the 10th cursor 3 Hz off.
 */
export function snapToMark(hz: number, marks: readonly SpectrumMark[], binHz: number): number {
  const mark = marks.find((m) => Math.abs(m.hz - hz) <= binHz);
  return mark ? mark.hz : hz;
}
