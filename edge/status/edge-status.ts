import type { EdgeConfig } from '../config.js';
import type { LatestSignals } from '../latest-signals.js';
import { type AssetHealth, assetHealth } from './asset-health.js';
import type { Baselines, BaselineView } from '../rules/baselines.js';
import type { LiveRules } from '../rules/live-rules.js';
import type { Outbox, OutboxStats } from '../outbox/outbox.js';
import type { Pipeline, PipelineProgress, PipelineSnapshot } from '../pipeline.js';
import type { Replicator, ReplicatorHealth } from '../replicate/replicator.js';
import type { Source, SourceHealth } from '../sources/source.js';
import type { EdgeTelemetry, EdgeTelemetryStatus } from '../telemetry/start-telemetry.js';
import { type AnalysisTransformsStatus, analysisTransformsStatus } from '../signal/native-kernels.js';
import type { TicketManager } from '../tickets/ticket-manager.js';

/** What `GET /api/v1/status` shows. */
export interface EdgeStatus extends PipelineSnapshot {
  gatewayId: string;
  site: string;
  outbox: OutboxStats;
  replication: ReplicatorHealth;
  sources: SourceHealth[];
  rules: { id: string; version: string; file: string }[];
  /** Problems of the last rule reload that was rejected (the rules above kept running), if any. */
  ruleProblems: string[];
  baselines: BaselineView[];
  openTickets: number;
  /** Every asset's condition now: state in plain words and as NAMUR NE 107, ISO zone, findings. */
  assets: AssetHealth[];
  /** Absent when telemetry.enabled is false. */
  telemetry?: EdgeTelemetryStatus;
  /** Which transforms the analysis runs on (fftw, or pffft-wasm and why), and plans being refined. */
  analysisTransforms: AnalysisTransformsStatus;
}

/** The running parts the status is read from. */
export interface EdgeStatusParts {
  outbox: Outbox;
  replicator: Replicator;
  sources: readonly Source[];
  rules: LiveRules;
  baselines: Baselines;
  tickets: TicketManager;
  telemetry: EdgeTelemetry | undefined;
  pipeline: Pipeline;
  signals: LatestSignals;
}

/** The health of every asset, from the parts the agent runs: what status, Sparkplug and OPC-UA publish. */
export function assetHealthOf(
  config: Pick<EdgeConfig, 'assets' | 'rules'>,
  parts: Pick<EdgeStatusParts, 'pipeline' | 'tickets' | 'signals'>,
  now = Date.now(),
): AssetHealth[] {
  return assetHealth({
    assetIds: config.assets.map((a) => a.id),
    latestFeatures: parts.pipeline.snapshot().latestFeatures,
    channels: parts.signals.channels(),
    openTickets: parts.tickets.openTickets(),
    now,
    staleAfterMs: config.rules.staleAfterMs,
  });
}

export function edgeStatus(
  config: Pick<EdgeConfig, 'gatewayId' | 'site' | 'assets' | 'rules'>,
  parts: EdgeStatusParts,
): EdgeStatus {
  const { outbox, replicator, sources, rules, baselines, tickets, telemetry, pipeline } = parts;
  return {
    gatewayId: config.gatewayId,
    site: config.site,
    outbox: outbox.stats(),
    replication: replicator.health(),
    sources: sources.map((s) => s.health()),
    ...rules.status(),
    baselines: baselines.list(),
    openTickets: tickets.openTickets().length,
    assets: assetHealthOf(config, parts),
    ...(telemetry ? { telemetry: telemetry.status() } : {}),
    ...pipeline.snapshot(),
    analysisTransforms: analysisTransformsStatus(),
  };
}

/** What `GET /api/v1/status/counters` shows: how far the agent got, for polls many times a second. */
export interface EdgeProgress extends PipelineProgress {
  analysisTransforms: AnalysisTransformsStatus;
}

/**
 * The counters and the analysis' load without the rest of the status, which is built per request
 * (55 KB of JSON with 64 assets, 5–12 ms of the event loop each): a publisher or a test waiting for
 * its waveforms to be analysed polls this instead.
 */
export function edgeProgress(parts: Pick<EdgeStatusParts, 'pipeline'>): EdgeProgress {
  return { ...parts.pipeline.progress(), analysisTransforms: analysisTransformsStatus() };
}

/** Healthy (`/healthz` 200) while the outbox has room and every source is connected. */
export function edgeHealthy(parts: Pick<EdgeStatusParts, 'outbox' | 'sources'>): boolean {
  return !parts.outbox.stats().full && parts.sources.every((source) => source.health().state === 'connected');
}
