import {
  FAULTS,
  FEATURE_METRICS,
  type Features,
  ISO_ZONES,
  type Reading,
} from '../../shared/schema/index.js';
import type { TelemetryPoint } from '../../shared/schema/telemetry.js';
import { READING_FIELD, ZONE_INDEX_FIELD, findingField } from '../../shared/trend-series.js';

export const DEFAULT_SUMMARY_INTERVAL_MS = 10_000;

/** Faults the diagnosis engine judges on every window; `overheating` and `threshold` only rules raise. */
const DIAGNOSED_FAULTS: ReadonlySet<string> = new Set(
  FAULTS.filter((fault) => fault !== 'overheating' && fault !== 'threshold'),
);

/**
 * The fields a waveform window contributes: its numeric features, speed, ISO zone as 0 (A) … 3 (D),
 * and, when the diagnosis ran on it, its confidence in every fault as `finding.<fault>` (a fault it
 * did not find counts as 0, as the rules read it: shared/trend-series.ts names these series).
 */
export function featureFields(features: Features): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const metric of FEATURE_METRICS) {
    const value = features[metric];
    if (value !== undefined) fields[metric] = value;
  }
  if (features.rpm !== undefined) fields.rpm = features.rpm;
  if (features.isoZone !== undefined) fields[ZONE_INDEX_FIELD] = ISO_ZONES.indexOf(features.isoZone);
  if (features.findings !== undefined) {
    for (const fault of FAULTS) {
      const confidence = features.findings[fault];
      if (confidence !== undefined || DIAGNOSED_FAULTS.has(fault))
        fields[findingField(fault)] = confidence ?? 0;
    }
  }
  return fields;
}

interface OpenInterval {
  site: string;
  assetId: string;
  channel: string;
  startMs: number;
  /** Wall-clock time of the last measurement, to close the interval of a channel that went quiet. */
  lastArrivalMs: number;
  sums: Map<string, { sum: number; count: number }>;
}

export interface SummaryCounts {
  /** Measurements older than the interval their channel is already summarising: dropped. */
  late: number;
  /** Non-finite values (NaN, ±Infinity) left out of the means. */
  nonFinite: number;
}

/**
 * Per asset channel, the mean of each field over fixed intervals of measurement time (aligned on
 * the epoch, so every gateway's points line up), stamped with the interval's end. The cloud gets
 * one point per channel per interval instead of every window: 10 s summaries are about a
 * hundredth of the raw feature stream, and enough for trends over weeks.
 *
 * An interval closes when its channel's next interval starts, or when the channel has been quiet
 * for one interval of wall-clock time; measurement time may run ahead (a fast replay) or behind
 * (a sensor's clock), so neither alone would do.
 */
export class TelemetrySummary {
  private readonly open = new Map<string, OpenInterval>();
  /** Per channel, the start of its newest closed interval: a measurement in it or before is late. */
  private readonly closedUpTo = new Map<string, number>();
  private closed: TelemetryPoint[] = [];
  private readonly counts: SummaryCounts = { late: 0, nonFinite: 0 };

  constructor(
    private readonly site: string,
    readonly intervalMs = DEFAULT_SUMMARY_INTERVAL_MS,
  ) {
    if (!(intervalMs >= 1)) throw new Error(`telemetry interval must be at least 1 ms (got ${intervalMs})`);
  }

  addFeatures(features: Features, arrivedMs: number): void {
    this.add(features.assetId, features.channel, features.ts, featureFields(features), arrivedMs);
  }

  /** Only good readings: an uncertain or bad one would drag the mean toward a sensor fault. */
  addReading(reading: Reading, arrivedMs: number): void {
    if ((reading.quality ?? 'good') !== 'good') return;
    this.add(reading.assetId, reading.channel, reading.ts, { [READING_FIELD]: reading.value }, arrivedMs);
  }

  /** The intervals finished by `nowMs` (wall clock), oldest first per channel; they leave the summary. */
  flush(nowMs: number): TelemetryPoint[] {
    for (const [key, interval] of this.open) {
      if (nowMs - interval.lastArrivalMs >= this.intervalMs) {
        this.close(interval);
        this.open.delete(key);
      }
    }
    return this.takeClosed();
  }

  /** Every interval, finished or not: at shutdown, so a partial interval is kept rather than lost. */
  drain(): TelemetryPoint[] {
    for (const interval of this.open.values()) this.close(interval);
    this.open.clear();
    return this.takeClosed();
  }

  stats(): SummaryCounts & { openIntervals: number } {
    return { ...this.counts, openIntervals: this.open.size };
  }

  private add(
    assetId: string,
    channel: string,
    ts: number,
    fields: Record<string, number>,
    arrivedMs: number,
  ) {
    const key = `${assetId}/${channel}`;
    const startMs = Math.floor(ts / this.intervalMs) * this.intervalMs;
    let interval = this.open.get(key);
    if ((interval && startMs < interval.startMs) || startMs <= (this.closedUpTo.get(key) ?? -Infinity)) {
      // Its interval's mean has gone (or is going) to the cloud; a second point at the same time
      // would replace it with the mean of this straggler alone.
      this.counts.late++;
      return;
    }
    if (interval && startMs > interval.startMs) {
      this.close(interval);
      interval = undefined;
    }
    if (!interval) {
      interval = { site: this.site, assetId, channel, startMs, lastArrivalMs: arrivedMs, sums: new Map() };
      this.open.set(key, interval);
    }
    interval.lastArrivalMs = arrivedMs;
    for (const [name, value] of Object.entries(fields)) {
      if (!Number.isFinite(value)) {
        this.counts.nonFinite++;
        continue;
      }
      const sum = interval.sums.get(name);
      if (sum) {
        sum.sum += value;
        sum.count++;
      } else {
        interval.sums.set(name, { sum: value, count: 1 });
      }
    }
  }

  private close(interval: OpenInterval): void {
    this.closedUpTo.set(`${interval.assetId}/${interval.channel}`, interval.startMs);
    if (interval.sums.size === 0) return;
    const fields: Record<string, number> = {};
    for (const [name, { sum, count }] of interval.sums) fields[name] = sum / count;
    this.closed.push({
      ts: interval.startMs + this.intervalMs,
      site: interval.site,
      assetId: interval.assetId,
      channel: interval.channel,
      fields,
    });
  }

  private takeClosed(): TelemetryPoint[] {
    const points = this.closed;
    this.closed = [];
    return points;
  }
}
