import { linearRegression } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { forecastCrossing, TrendHistory, type TrendHistoryState, type TrendPoint } from './trend.js';
import { seededRandom } from '../../simulators/seeded-random.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const T0 = Date.UTC(2025, 0, 6, 6, 0, 0);

/** Standard normal samples (Box–Muller). */
function gaussian(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Samples every `stepMs` over `days`, value = f(days since T0). */
function series(days: number, stepMs: number, f: (day: number, i: number) => number): TrendPoint[] {
  const out: TrendPoint[] = [];
  for (let i = 0, t = T0; t <= T0 + days * DAY_MS; i++, t += stepMs)
    out.push({ t, value: f((t - T0) / DAY_MS, i) });
  return out;
}

const newest = (points: TrendPoint[]): number => (points[points.length - 1] as TrendPoint).t;

/** Velocity RMS rising 0.5 mm/s per day from 2 mm/s. */
const ramp = (day: number): number => 2 + 0.5 * day;

describe('forecastCrossing, linear model', () => {
  it('puts the ETA of an exact ramp exactly where the line meets the threshold, with no spread', () => {
    const points = series(1, 10 * MINUTE_MS, ramp); // ends at 2.5 mm/s
    const f = forecastCrossing(points, { model: 'linear', threshold: 3.5 });
    const truth = T0 + 3 * DAY_MS;
    expect(f).toBeDefined();
    expect(Math.abs(f!.etaMs - truth)).toBeLessThan(1);
    expect(Math.abs(f!.earliestMs - truth)).toBeLessThan(1);
    expect(Math.abs(f!.latestMs! - truth)).toBeLessThan(1);
    expect(f!.level).toBeCloseTo(2.5, 10);
    expect(f!.ratePerDay).toBeCloseTo(0.5, 10);
    expect(f!.points).toBe(points.length);
    expect(f!.spanMs).toBe(DAY_MS);
    expect(f!.model).toBe('linear');
  });

  it('finds the ETA of a noisy ramp within a few % and brackets the truth', () => {
    const noise = gaussian(1);
    const points = series(2, 15 * MINUTE_MS, (d) => ramp(d) + 0.1 * noise());
    const truth = T0 + 4 * DAY_MS; // 4 mm/s at day 4
    const f = forecastCrossing(points, { model: 'linear', threshold: 4 })!;
    const horizon = truth - newest(points);
    expect(Math.abs(f.etaMs - truth) / horizon).toBeLessThan(0.05);
    expect(f.earliestMs).toBeLessThan(f.etaMs);
    expect(f.etaMs).toBeLessThan(f.latestMs!);
    expect(f.earliestMs).toBeLessThanOrEqual(truth);
    expect(f.latestMs!).toBeGreaterThanOrEqual(truth);
  });

  it('widens the interval with the confidence asked for', () => {
    const noise = gaussian(2);
    const points = series(2, 15 * MINUTE_MS, (d) => ramp(d) + 0.1 * noise());
    const narrow = forecastCrossing(points, { model: 'linear', threshold: 4, confidence: 0.8 })!;
    const wide = forecastCrossing(points, { model: 'linear', threshold: 4, confidence: 0.99 })!;
    expect(wide.etaMs).toBe(narrow.etaMs);
    expect(wide.earliestMs).toBeLessThan(narrow.earliestMs);
    expect(wide.latestMs!).toBeGreaterThan(narrow.latestMs!);
  });

  it("gives rate bounds (Sen's interval) that hold the true rate at about the nominal confidence", () => {
    // The crossing interval pivots on the current level, so only its rate part is calibrated: recover the
    // slope bounds from earliest/latest and count how often they hold the true 0.5 mm/s per day.
    const runs = 200;
    let covered = 0;
    for (let seed = 0; seed < runs; seed++) {
      const noise = gaussian(100 + seed);
      const points = series(2, 30 * MINUTE_MS, (d) => ramp(d) + 0.1 * noise());
      const f = forecastCrossing(points, { model: 'linear', threshold: 6 })!;
      const daysAhead = (ms: number | undefined) =>
        ms === undefined ? Infinity : (ms - newest(points)) / DAY_MS;
      const upper = (6 - f.level) / daysAhead(f.earliestMs);
      const lower = (6 - f.level) / daysAhead(f.latestMs);
      if (lower <= 0.5 && 0.5 <= upper) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.84);
    expect(covered / runs).toBeLessThan(0.96);
  });

  it('shrugs off 10 % wild spikes that pull a least-squares fit far off', () => {
    const noise = gaussian(3);
    const spike = seededRandom(4);
    const points = series(2, 15 * MINUTE_MS, (d) => (ramp(d) + 0.1 * noise()) * (spike() < 0.1 ? 5 : 1));
    const truth = T0 + 4 * DAY_MS;
    const horizon = truth - newest(points);

    const f = forecastCrossing(points, { model: 'linear', threshold: 4 })!;
    expect(Math.abs(f.etaMs - truth) / horizon).toBeLessThan(0.05);

    const ols = linearRegression(points.map((p) => [(p.t - T0) / DAY_MS, p.value]));
    const olsEtaMs = T0 + ((4 - ols.b) / ols.m) * DAY_MS;
    expect(Math.abs(olsEtaMs - truth) / horizon).toBeGreaterThan(0.3);
  });

  it('reads the current level from the trend, not from a spike on the newest sample', () => {
    const points = series(1, 10 * MINUTE_MS, ramp);
    const spiked = points.map((p, i) => (i === points.length - 1 ? { ...p, value: p.value * 5 } : p));
    const f = forecastCrossing(spiked, { model: 'linear', threshold: 3.5 })!;
    expect(f.level).toBeCloseTo(2.5, 6);
    expect(Math.abs(f.etaMs - (T0 + 3 * DAY_MS))).toBeLessThan(MINUTE_MS);
  });

  it('returns undefined when the trend is flat or moving away from a rising threshold', () => {
    const flat = series(2, 15 * MINUTE_MS, () => 3);
    expect(forecastCrossing(flat, { model: 'linear', threshold: 4 })).toBeUndefined();
    const noise = gaussian(5);
    const falling = series(2, 15 * MINUTE_MS, (d) => 3 - 0.3 * d + 0.1 * noise());
    expect(forecastCrossing(falling, { model: 'linear', threshold: 4 })).toBeUndefined();
    expect(forecastCrossing(falling, { model: 'exponential', threshold: 4 })).toBeUndefined();
  });

  it('forecasts a falling coolant flow reaching its minimum', () => {
    const noise = gaussian(6);
    const flowLMin = series(2, 15 * MINUTE_MS, (d) => 100 - 2 * d + 0.3 * noise()); // 96 L/min now
    const truth = T0 + 5 * DAY_MS; // 90 L/min at day 5
    const f = forecastCrossing(flowLMin, { model: 'linear', threshold: 90, direction: 'falling' })!;
    expect(f.ratePerDay).toBeCloseTo(-2, 1);
    expect(Math.abs(f.etaMs - truth) / (truth - newest(flowLMin))).toBeLessThan(0.05);
    expect(f.earliestMs).toBeLessThanOrEqual(truth);
    expect(f.latestMs!).toBeGreaterThanOrEqual(truth);
    // The same data never crosses a rising threshold.
    expect(forecastCrossing(flowLMin, { model: 'linear', threshold: 110 })).toBeUndefined();
  });

  it('reports the newest t when the level is already beyond the threshold', () => {
    const points = series(1, 10 * MINUTE_MS, ramp); // level 2.5
    const f = forecastCrossing(points, { model: 'linear', threshold: 2 })!;
    expect(f.etaMs).toBe(newest(points));
    expect(f.earliestMs).toBe(newest(points));
    expect(f.latestMs).toBe(newest(points));
  });

  it('needs minPoints usable points and at least two distinct times', () => {
    const points = series(1, 10 * MINUTE_MS, ramp);
    expect(forecastCrossing(points.slice(0, 9), { model: 'linear', threshold: 3.5 })).toBeUndefined();
    expect(forecastCrossing(points.slice(0, 10), { model: 'linear', threshold: 3.5 })).toBeDefined();
    expect(forecastCrossing(points.slice(0, 10), { model: 'linear', threshold: 3.5, minPoints: 11 })).toBe(
      undefined,
    );
    const withGarbage = [...points.slice(0, 9), { t: T0, value: NaN }, { t: NaN, value: 1 }];
    expect(forecastCrossing(withGarbage, { model: 'linear', threshold: 3.5 })).toBeUndefined();
    const sameTime = points.map((p) => ({ t: T0, value: p.value }));
    expect(forecastCrossing(sameTime, { model: 'linear', threshold: 3.5 })).toBeUndefined();
  });

  it('skips repeated timestamps and accepts unsorted input', () => {
    const points = series(1, 10 * MINUTE_MS, ramp);
    const doubled = [...points, ...points].reverse();
    const f = forecastCrossing(doubled, { model: 'linear', threshold: 3.5 })!;
    expect(Math.abs(f.etaMs - (T0 + 3 * DAY_MS))).toBeLessThan(1);
    expect(Math.abs(f.latestMs! - f.earliestMs)).toBeLessThan(1);
  });

  it('thins more than 300 points and still finds the exact ETA of a 10,000-point ramp', () => {
    const points = series(10_000 / 2880, 30_000, ramp).slice(0, 10_000); // 30 s steps, ~3.5 days
    expect(points).toHaveLength(10_000);
    const last = newest(points);
    const threshold = ramp((last - T0) / DAY_MS) + 1; // two days ahead
    const f = forecastCrossing(points, { model: 'linear', threshold })!;
    expect(Math.abs(f.etaMs - (last + 2 * DAY_MS))).toBeLessThan(1_000);
    expect(f.points).toBe(10_000);
    expect(f.spanMs).toBe(last - T0);
  });

  it('rejects options it cannot honour', () => {
    const points = series(1, 10 * MINUTE_MS, ramp);
    expect(() => forecastCrossing(points, { model: 'linear', threshold: NaN })).toThrow(/threshold/);
    expect(() => forecastCrossing(points, { model: 'linear', threshold: 3, confidence: 90 })).toThrow(
      /confidence/,
    );
  });
});

describe('forecastCrossing, exponential model', () => {
  // Bearing wear accelerating: 1 mm/s growing 30 %/day in log terms (k = 0.3/day), 2 % noise.
  const k = 0.3;
  const noise = gaussian(7);
  const points = series(4, 10 * MINUTE_MS, (d) => Math.exp(k * d) * (1 + 0.02 * noise())); // 577 points
  const threshold = Math.exp(k * 7);
  const truth = T0 + 7 * DAY_MS;
  const horizon = truth - newest(points);

  it('predicts the crossing of exponential growth within a few %', () => {
    const f = forecastCrossing(points, { model: 'exponential', threshold })!;
    expect(Math.abs(f.etaMs - truth) / horizon).toBeLessThan(0.05);
    expect(f.ratePerDay).toBeCloseTo(Math.expm1(k), 2);
    expect(f.level).toBeCloseTo(Math.exp(k * 4), 1);
    expect(f.earliestMs).toBeLessThan(f.etaMs);
    expect(f.etaMs).toBeLessThan(f.latestMs!);
  });

  it('is later with the linear model, which misses the acceleration', () => {
    const exp = forecastCrossing(points, { model: 'exponential', threshold })!;
    const lin = forecastCrossing(points, { model: 'linear', threshold })!;
    expect(lin.etaMs - truth).toBeGreaterThan(0.2 * horizon);
    expect(lin.etaMs).toBeGreaterThan(exp.latestMs!);
  });

  it('ignores non-positive values and needs minPoints positive ones', () => {
    const withDropouts = points.map((p, i) => (i % 5 === 0 ? { ...p, value: i % 10 === 0 ? 0 : -1 } : p));
    const f = forecastCrossing(withDropouts, { model: 'exponential', threshold })!;
    expect(f.points).toBe(points.length - Math.ceil(points.length / 5));
    expect(Math.abs(f.etaMs - truth) / horizon).toBeLessThan(0.05);

    const tenPositive = points.map((p, i) => (i < points.length - 10 ? { ...p, value: 0 } : p));
    expect(forecastCrossing(tenPositive, { model: 'exponential', threshold })?.points).toBe(10);
    const ninePositive = points.map((p, i) => (i < points.length - 9 ? { ...p, value: 0 } : p));
    expect(forecastCrossing(ninePositive, { model: 'exponential', threshold })).toBeUndefined();
  });

  it('treats a threshold at or below zero as already crossed when rising, unreachable when falling', () => {
    const rising = forecastCrossing(points, { model: 'exponential', threshold: 0 })!;
    expect(rising.etaMs).toBe(newest(points));
    const decaying = points.map((p) => ({ t: p.t, value: 1 / p.value }));
    expect(forecastCrossing(decaying, { model: 'exponential', threshold: 0, direction: 'falling' })).toBe(
      undefined,
    );
    const half = forecastCrossing(decaying, {
      model: 'exponential',
      threshold: Math.exp(-k * 7),
      direction: 'falling',
    })!;
    expect(Math.abs(half.etaMs - truth) / horizon).toBeLessThan(0.05);
  });
});

describe('TrendHistory', () => {
  it('stays within buckets + 1 points over 10^5 samples', () => {
    const h = new TrendHistory({ spanMs: 3_600_000, buckets: 60 });
    let maxSize = 0;
    for (let i = 0; i < 100_000; i++) {
      h.add(T0 + i * 36, Math.sin(i)); // one span's worth
      maxSize = Math.max(maxSize, h.size);
    }
    for (let i = 0; i < 100_000; i++) {
      h.add(T0 + 3_600_000 + i * 360, 1); // ten more spans
      maxSize = Math.max(maxSize, h.size);
    }
    expect(maxSize).toBeLessThanOrEqual(61);
    expect(maxSize).toBeGreaterThanOrEqual(60);
    expect(h.points()).toHaveLength(h.size);
  });

  it('keeps the mean value and mean time of each bucket', () => {
    const h = new TrendHistory({ spanMs: 60_000, buckets: 6 }); // 10 s buckets
    for (let s = 0; s < 10; s++) h.add(T0 + s * 1000, s);
    h.add(T0 + 10_000, 100);
    h.add(T0 + 13_000, 200);
    h.add(T0 + 14_000, Infinity);
    h.add(T0 + 14_000, NaN);
    expect(h.points()).toEqual([
      { t: T0 + 4500, value: 4.5 },
      { t: T0 + 11_500, value: 150 },
    ]);
  });

  it('accepts repeated t, drops samples older than the open bucket', () => {
    const h = new TrendHistory({ spanMs: 60_000, buckets: 6 });
    h.add(T0 + 12_000, 1);
    h.add(T0 + 12_000, 3);
    h.add(T0 + 5_000, 1000); // before the open bucket's start
    expect(h.points()).toEqual([{ t: T0 + 12_000, value: 2 }]);
  });

  it('slides old buckets out of the span', () => {
    const h = new TrendHistory({ spanMs: 60_000, buckets: 6 });
    for (let s = 0; s <= 200; s++) h.add(T0 + s * 1000, s);
    const pts = h.points();
    expect(pts[0]!.t).toBeGreaterThanOrEqual(T0 + 200_000 - 60_000);
    expect(pts.map((p) => p.value)).toEqual([144.5, 154.5, 164.5, 174.5, 184.5, 194.5, 200]);
    expect(pts.map((p) => p.t)).toEqual(pts.map((p) => T0 + p.value * 1000));
  });

  it('round-trips through JSON and carries on as if never restarted', () => {
    const original = new TrendHistory({ spanMs: 60_000, buckets: 6 });
    for (let s = 0; s < 45; s++) original.add(T0 + s * 1000, s * 2);
    const restored = TrendHistory.fromJSON(JSON.parse(JSON.stringify(original)) as TrendHistoryState);
    expect(restored.points()).toEqual(original.points());
    for (let s = 45; s < 100; s++) {
      original.add(T0 + s * 1000, s * 2);
      restored.add(T0 + s * 1000, s * 2);
    }
    expect(restored.toJSON()).toEqual(original.toJSON());
    expect(TrendHistory.fromJSON(new TrendHistory({ spanMs: 1000, buckets: 2 }).toJSON()).size).toBe(0);
  });

  it('rejects malformed state with a message naming the field', () => {
    const good = (() => {
      const h = new TrendHistory({ spanMs: 60_000, buckets: 6 });
      for (let s = 0; s < 30; s++) h.add(T0 + s * 1000, s);
      return h.toJSON();
    })();
    const bad = (patch: Record<string, unknown>) => ({ ...good, ...patch }) as unknown as TrendHistoryState;
    const entry = (i: number, patch: Record<string, unknown>) =>
      bad({ history: good.history.map((b, j) => (j === i ? { ...b, ...patch } : b)) });

    expect(() => TrendHistory.fromJSON(null as unknown as TrendHistoryState)).toThrow(RangeError);
    expect(() => TrendHistory.fromJSON(bad({ version: 2 }))).toThrow(/version must be 1/);
    expect(() => TrendHistory.fromJSON(bad({ spanMs: -1 }))).toThrow(/spanMs/);
    expect(() => TrendHistory.fromJSON(bad({ buckets: 1.5 }))).toThrow(/buckets must be a positive integer/);
    expect(() => TrendHistory.fromJSON(bad({ newestT: 'now' }))).toThrow(/newestT/);
    expect(() => TrendHistory.fromJSON(bad({ newestT: null }))).toThrow(/newestT must be set/);
    expect(() => TrendHistory.fromJSON(bad({ history: {} }))).toThrow(/history must be an array/);
    expect(() => TrendHistory.fromJSON(bad({ buckets: 1 }))).toThrow(/at most buckets \+ 1/);
    expect(() => TrendHistory.fromJSON(entry(1, { value: null }))).toThrow(/history\[1\]\.value/);
    expect(() => TrendHistory.fromJSON(entry(0, { count: 0 }))).toThrow(/history\[0\]\.count/);
    expect(() => TrendHistory.fromJSON(entry(2, { start: good.history[0]!.start }))).toThrow(
      /history\[2\]\.start must be after/,
    );
    expect(() => TrendHistory.fromJSON(good)).not.toThrow();
  });

  it('rejects a bad configuration', () => {
    expect(() => new TrendHistory({ spanMs: 0, buckets: 10 })).toThrow(/spanMs/);
    expect(() => new TrendHistory({ spanMs: 1000, buckets: 0 })).toThrow(/buckets/);
  });

  it('feeds forecastCrossing: a day of 10 s samples in 100 buckets forecasts the noisy ramp', () => {
    const noise = gaussian(8);
    const h = new TrendHistory({ spanMs: DAY_MS, buckets: 100 });
    for (let t = T0; t <= T0 + 2 * DAY_MS; t += 10_000) h.add(t, ramp((t - T0) / DAY_MS) + 0.3 * noise());
    const f = forecastCrossing(h.points(), { model: 'linear', threshold: 4 })!;
    expect(f.points).toBeLessThanOrEqual(101);
    expect(f.spanMs).toBeGreaterThan(0.98 * DAY_MS);
    expect(Math.abs(f.etaMs - (T0 + 4 * DAY_MS)) / (2 * DAY_MS)).toBeLessThan(0.05);
  });
});
