import type { TelemetryPoint, TrendPoint } from '../../shared/schema/telemetry.js';

export interface TrendRequest {
  /** Sites the caller may see; undefined = all sites. */
  sites?: readonly string[];
  assetId: string;
  metric: string;
  channel?: string;
  fromMs: number;
  /** Exclusive. */
  toMs: number;
  maxPoints: number;
}

export interface LatestRequest {
  /** Sites the caller may see; undefined = all sites. */
  sites?: readonly string[];
  /** Only these assets; undefined = every asset that reported. */
  assetIds?: readonly string[];
  /** The fields wanted, e.g. velocityRmsMmS, isoZoneIndex, value. */
  metrics: readonly string[];
}

/** The newest value of one field on one asset channel, and when it was measured. */
export interface LatestValue {
  site: string;
  assetId: string;
  channel: string;
  metric: string;
  ts: number;
  value: number;
}

/** Where telemetry lands: InfluxDB when the cloud has one, else the cloud's own SQL database. */
export interface TelemetrySink {
  readonly kind: 'influxdb' | 'store';
  /** Stores the points; a point written again (same site, asset, channel, time) replaces itself. */
  write(gatewayId: string, points: TelemetryPoint[]): Promise<void>;
  /** The metric's means over equal time buckets from fromMs, at most maxPoints of them, oldest first. */
  trend(request: TrendRequest): Promise<TrendPoint[]>;
  /**
   * The newest value of each asked-for metric per asset channel (not a bucket mean): what a machine
   * reads now, for the plant overview and the asset's health card.
   */
  latest(request: LatestRequest): Promise<LatestValue[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `[fromMs, toMs)` cut into at most maxPoints equal buckets, aligned on fromMs. Both sinks bucket the
 * same way, so a trend reads the same whichever one stored it.
 */
export const trendBucketMs = (request: Pick<TrendRequest, 'fromMs' | 'toMs' | 'maxPoints'>): number =>
  Math.max(1, Math.ceil((request.toMs - request.fromMs) / request.maxPoints));
