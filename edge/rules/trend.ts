import { median, probit, quickselect } from 'simple-statistics';

export type TrendModel = 'linear' | 'exponential';

export interface TrendPoint {
  /** Epoch ms. */
  t: number;
  value: number;
}

export interface ThresholdForecast {
  model: TrendModel;
  /** Central estimate of when the fitted trend reaches the threshold (epoch ms). */
  etaMs: number;
  /** Interval for the crossing time at the given confidence: earliest from the steepest plausible trend... */
  earliestMs: number;
  /** ...latest from the shallowest; undefined when the shallowest plausible trend never reaches the threshold. */
  latestMs: number | undefined;
  /** Fitted value at the newest point (the trend's current level, robust to one outlier at the end). */
  level: number;
  /** Linear: value units per day. Exponential: relative growth per day (0.1 = +10 %/day). */
  ratePerDay: number;
  /** Usable points passed in (finite, and positive for the exponential model), before any thinning. */
  points: number;
  /** Span of the fitted history, ms. */
  spanMs: number;
}

export interface ForecastOptions {
  model: TrendModel;
  threshold: number;
  /** Crossing upward (default) or downward (e.g. coolant flow falling below a minimum). */
  direction?: 'rising' | 'falling';
  /** Confidence for the interval, default 0.9. */
  confidence?: number;
  /** Fewer points than this → undefined. Default 10. */
  minPoints?: number;
}

const DAY_MS = 86_400_000;

/**
 * Pairwise slopes cost O(n²) time and memory: 300 points are 44,850 slopes (about 1 ms), 10,000 would be
 * 50 million. Longer histories are reduced to this many group medians first.
 */
export const MAX_FIT_POINTS = 300;

interface SenFit {
  /** Per day, in the fitted space (value, or ln value). */
  slope: number;
  lower: number;
  upper: number;
  /** Fitted value at x = 0, i.e. at the newest t. */
  level: number;
}

/** 0-based index of the order statistic at or just below 1-based fractional rank `rank` of `count`. */
const rankIndex = (rank: number, count: number): number => Math.floor(Math.min(Math.max(rank, 1), count)) - 1;

/**
 * Value at 1-based fractional rank `rank`, interpolating between neighbours. Reorders `values`; `from` is
 * an index already known to hold the from-th smallest (everything after it is ≥), so ascending ranks
 * select in a shrinking range. Selection rather than a sort: ~1 ms for 44,850 slopes instead of ~5 ms.
 */
function orderStatistic(values: number[], rank: number, from = 0): number {
  const r = Math.min(Math.max(rank, 1), values.length) - 1;
  const lo = rankIndex(rank, values.length);
  if (lo > from) quickselect(values, lo, from, values.length - 1);
  const a = values[lo] ?? NaN;
  if (r === lo) return a;
  // After selection everything right of lo is ≥ a, so the next order statistic is their minimum.
  let b = Infinity;
  for (let i = lo + 1; i < values.length; i++) b = Math.min(b, values[i] ?? NaN);
  return a + (b - a) * (r - lo);
}

/**
 * Theil (1950) / Sen (1968) slope: the median of pairwise slopes tolerates up to ~29 % of wild points,
 * where a single spike can tilt least squares. x must be ascending.
 */
function theilSen(x: readonly number[], y: readonly number[], z: number): SenFit | undefined {
  const n = x.length;
  // Preallocated and filled, not grown by push: 5× faster for the 44,850 slopes of 300 points.
  const slopes = new Array<number>((n * (n - 1)) / 2).fill(0);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] ?? NaN;
    const yi = y[i] ?? NaN;
    for (let j = i + 1; j < n; j++) {
      const dx = (x[j] ?? NaN) - xi;
      // Repeated timestamps carry no slope information; Sen's estimator is defined over distinct x.
      if (dx > 0) slopes[count++] = ((y[j] ?? NaN) - yi) / dx;
    }
  }
  if (count === 0) return undefined;
  slopes.length = count;

  // Sen (1968) interval from the null distribution of Kendall's S. Its variance is reduced for groups of
  // tied x (Kendall 1975), so repeated timestamps do not widen the ranks past the slopes that exist.
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && x[j] === x[i]) j++;
    const u = j - i;
    tieTerm += u * (u - 1) * (2 * u + 5);
    i = j;
  }
  const c = z * Math.sqrt((n * (n - 1) * (2 * n + 5) - tieTerm) / 18);
  // Ranks (N − C)/2 and (N + C)/2 + 1 (Gilbert 1987, §16.4): the +1 makes them symmetric about the median
  // rank (N + 1)/2. Ascending order, so each selection leaves the array partitioned for the next.
  const ranks = [(count - c) / 2, (count + 1) / 2, (count + c) / 2 + 1] as const;
  const lower = orderStatistic(slopes, ranks[0]);
  const slope = orderStatistic(slopes, ranks[1], rankIndex(ranks[0], count));
  const upper = orderStatistic(slopes, ranks[2], rankIndex(ranks[1], count));

  const level = median(y.map((yi, i) => yi - slope * (x[i] ?? NaN)));
  return { slope, lower, upper, level };
}

/**
 * Splits ascending (x, y) into `groups` runs of near-equal length and keeps the median x and median y of
 * each. Medians (not every k-th point) keep the outlier resistance and still use every sample; fewer but
 * less noisy points leave the slope's spread about the same, so Sen's interval stays honest (measured: the
 * 90 % rate bounds held the true rate in 89 % of runs on 577 thinned points, 91 % on 193 unthinned).
 */
function thinByGroupMedians(x: number[], y: number[], groups: number): { x: number[]; y: number[] } {
  const n = x.length;
  const gx: number[] = [];
  const gy: number[] = [];
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * n) / groups);
    const to = Math.floor(((g + 1) * n) / groups);
    gx.push(median(x.slice(from, to)));
    gy.push(median(y.slice(from, to)));
  }
  return { x: gx, y: gy };
}

/** When a trend with `slope` per day closes `gap` from `fromMs`, or undefined if it never does. */
function crossingMs(fromMs: number, gap: number, slope: number): number | undefined {
  const days = gap / slope;
  return Number.isFinite(days) && days >= 0 ? fromMs + days * DAY_MS : undefined;
}

/**
 * When will a slowly degrading feature cross `threshold`? Fits a robust trend (Theil–Sen on the value for
 * `linear`, on ln value for `exponential`) and extrapolates it from the newest point.
 *
 * undefined when: too few points, the trend does not move toward the threshold (central slope ≤ 0 in the
 * threshold's direction), or, for the exponential model, fewer than minPoints positive values. When the
 * level is already beyond the threshold, etaMs = the newest t (earliestMs and latestMs too).
 * Points with a non-finite t or value are ignored; order does not matter.
 */
export function forecastCrossing(
  points: readonly TrendPoint[],
  options: ForecastOptions,
): ThresholdForecast | undefined {
  const { model, threshold, direction = 'rising', confidence = 0.9, minPoints = 10 } = options;
  if (model !== 'linear' && model !== 'exponential') {
    throw new RangeError(`forecastCrossing: model must be 'linear' or 'exponential' (got ${String(model)})`);
  }
  if (!Number.isFinite(threshold)) {
    throw new RangeError(`forecastCrossing: threshold must be a finite number (got ${threshold})`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(
      `forecastCrossing: confidence must be between 0 and 1, e.g. 0.9 (got ${confidence})`,
    );
  }

  const exponential = model === 'exponential';
  const usable = points
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value) && (!exponential || p.value > 0))
    .sort((a, b) => a.t - b.t);
  // A slope needs two distinct times whatever minPoints says.
  if (usable.length < Math.max(minPoints, 2)) return undefined;

  const first = usable[0] as TrendPoint;
  const newestMs = (usable[usable.length - 1] as TrendPoint).t;
  // Days relative to the newest point: epoch ms squared in pairwise products would lose precision, and
  // with x = 0 at the newest point the Theil–Sen intercept is the current level directly.
  let x = usable.map((p) => (p.t - newestMs) / DAY_MS);
  let y = usable.map((p) => (exponential ? Math.log(p.value) : p.value));
  if (x.length > MAX_FIT_POINTS) ({ x, y } = thinByGroupMedians(x, y, MAX_FIT_POINTS));

  const fit = theilSen(x, y, probit((1 + confidence) / 2));
  if (!fit) return undefined;

  const sign = direction === 'rising' ? 1 : -1;
  if (sign * fit.slope <= 0) return undefined;

  const level = exponential ? Math.exp(fit.level) : fit.level;
  const ratePerDay = exponential ? Math.expm1(fit.slope) : fit.slope;
  const base = {
    model,
    level,
    ratePerDay,
    points: usable.length,
    spanMs: newestMs - first.t,
  };

  // A non-positive threshold is below every value an exponential trend can take.
  const thresholdY = exponential ? (threshold > 0 ? Math.log(threshold) : -Infinity) : threshold;
  const gap = thresholdY - fit.level;
  if (sign * gap <= 0) return { ...base, etaMs: newestMs, earliestMs: newestMs, latestMs: newestMs };

  const etaMs = crossingMs(newestMs, gap, fit.slope);
  // e.g. a falling exponential never reaches a threshold ≤ 0.
  if (etaMs === undefined) return undefined;

  // The interval swings the slope bounds about the fit's centre (the median time, where the fitted line
  // is best determined) rather than about the newest point: a steeper plausible trend then also starts
  // lower, so the interval carries the level's uncertainty as well as the rate's. Pivoting about the
  // newest point instead held the true crossing in only ~40–84 % of runs for a nominal 90 %; about the
  // centre, 86–90 % (linear ramps with Gaussian noise, spans of 2–4 d, horizons of 1–6 d, 400 runs each).
  const pivotX = median(x);
  const pivotY = fit.level + fit.slope * pivotX;
  const crossingVia = (slope: number): number | undefined => {
    const gapFromPivot = thresholdY - pivotY;
    if (sign * gapFromPivot <= 0) return newestMs;
    const days = pivotX + gapFromPivot / slope;
    if (!Number.isFinite(days)) return undefined;
    return newestMs + Math.max(0, days) * DAY_MS;
  };
  const [steepest, shallowest] = sign > 0 ? [fit.upper, fit.lower] : [fit.lower, fit.upper];
  const earliestMs = Math.min(crossingVia(steepest) ?? etaMs, etaMs);
  const latest = sign * shallowest > 0 ? crossingVia(shallowest) : undefined;
  return {
    ...base,
    etaMs,
    earliestMs,
    latestMs: latest === undefined ? undefined : Math.max(latest, etaMs),
  };
}

export interface TrendBucketState {
  /** Bucket start, epoch ms (a multiple of spanMs / buckets). */
  start: number;
  count: number;
  /** Mean t of the bucket's samples. */
  t: number;
  /** Mean value of the bucket's samples. */
  value: number;
}

export interface TrendHistoryState {
  version: 1;
  spanMs: number;
  buckets: number;
  /** Newest t seen, or null before the first sample. */
  newestT: number | null;
  /** Oldest first; the last one is the open (partial) bucket. */
  history: TrendBucketState[];
}

/**
 * Keeps a feature's history over a sliding span in at most `buckets` buckets (mean of each bucket's values
 * and its mean time), so memory stays flat whatever the sample rate.
 */
export class TrendHistory {
  readonly spanMs: number;
  readonly buckets: number;
  private readonly bucketMs: number;
  private newestT: number | undefined;
  private history: TrendBucketState[] = [];

  constructor(options: { spanMs: number; buckets: number }) {
    const { spanMs, buckets } = options;
    if (!(Number.isFinite(spanMs) && spanMs > 0)) {
      throw new RangeError(`TrendHistory: spanMs must be a positive number of ms (got ${spanMs})`);
    }
    if (!(Number.isInteger(buckets) && buckets >= 1)) {
      throw new RangeError(`TrendHistory: buckets must be a positive integer (got ${buckets})`);
    }
    this.spanMs = spanMs;
    this.buckets = buckets;
    this.bucketMs = spanMs / buckets;
  }

  /** Ignores non-finite values; t may repeat; samples older than the open bucket's start are dropped. */
  add(t: number, value: number): void {
    if (!Number.isFinite(t) || !Number.isFinite(value)) return;
    const open = this.history[this.history.length - 1];
    if (open && t < open.start) return;
    if (open && t < open.start + this.bucketMs) {
      open.count++;
      // Running means rather than sums: a sum of 10^5 epoch-ms timestamps exceeds 2^53 and loses precision.
      open.t += (t - open.t) / open.count;
      open.value += (value - open.value) / open.count;
    } else {
      // Buckets aligned to multiples of bucketMs, so a restored history continues the same grid.
      const start = Math.floor(t / this.bucketMs) * this.bucketMs;
      this.history.push({ start, count: 1, t, value });
    }
    this.newestT = Math.max(this.newestT ?? t, t);
    const oldest = this.newestT - this.spanMs;
    // Bucket mean times ascend, so the expired ones are a prefix.
    let expired = 0;
    while (expired < this.history.length && (this.history[expired] as TrendBucketState).t < oldest) expired++;
    if (expired > 0) this.history.splice(0, expired);
  }

  /** Closed buckets plus the current partial bucket, oldest first, only within spanMs of the newest t. */
  points(): TrendPoint[] {
    return this.history.map((b) => ({ t: b.t, value: b.value }));
  }

  /** Buckets held: at most `buckets` + 1 (the oldest may be partly outside the span). */
  get size(): number {
    return this.history.length;
  }

  toJSON(): TrendHistoryState {
    return {
      version: 1,
      spanMs: this.spanMs,
      buckets: this.buckets,
      newestT: this.newestT ?? null,
      history: this.history.map((b) => ({ ...b })),
    };
  }

  /** Restores a persisted history; throws RangeError naming the bad field when the state is malformed. */
  static fromJSON(state: TrendHistoryState): TrendHistory {
    const fail = (what: string, got: unknown): never => {
      throw new RangeError(`TrendHistory state: ${what} (got ${JSON.stringify(got)})`);
    };
    if (typeof state !== 'object' || state === null || Array.isArray(state)) fail('must be an object', state);
    const s = state as unknown as Record<string, unknown>;
    if (s.version !== 1) fail('version must be 1', s.version);
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (!finite(s.spanMs) || s.spanMs <= 0) fail('spanMs must be a positive number', s.spanMs);
    if (!Number.isInteger(s.buckets) || (s.buckets as number) < 1) {
      fail('buckets must be a positive integer', s.buckets);
    }
    if (s.newestT !== null && !finite(s.newestT)) fail('newestT must be a number or null', s.newestT);
    if (!Array.isArray(s.history)) fail('history must be an array', s.history);
    const history = s.history as unknown[];
    if (history.length > (s.buckets as number) + 1) {
      fail(`history must hold at most buckets + 1 = ${(s.buckets as number) + 1} entries`, history.length);
    }
    if (history.length > 0 && s.newestT === null) fail('newestT must be set when history is not empty', null);

    const restored = new TrendHistory({ spanMs: s.spanMs as number, buckets: s.buckets as number });
    let previousStart = -Infinity;
    history.forEach((entry, i) => {
      if (typeof entry !== 'object' || entry === null) fail(`history[${i}] must be an object`, entry);
      const b = entry as Record<string, unknown>;
      for (const key of ['start', 't', 'value'] as const) {
        if (!finite(b[key])) fail(`history[${i}].${key} must be a finite number`, b[key]);
      }
      if (!Number.isInteger(b.count) || (b.count as number) < 1) {
        fail(`history[${i}].count must be a positive integer`, b.count);
      }
      if ((b.start as number) <= previousStart)
        fail(`history[${i}].start must be after the previous`, b.start);
      previousStart = b.start as number;
      restored.history.push({
        start: b.start as number,
        count: b.count as number,
        t: b.t as number,
        value: b.value as number,
      });
    });
    restored.newestT = s.newestT === null ? undefined : (s.newestT as number);
    return restored;
  }
}
