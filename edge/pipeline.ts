import type { Logger } from 'pino';
import type { Features, OutboxEvent, Reading, Waveform } from '../shared/schema/index.js';
import type { LatestSignals } from './latest-signals.js';
import type { EdgeMetrics } from './metrics.js';
import type { RuleEngine, RuleOutcome } from './rules/rule-engine.js';
import type { AnalysedWaveform, AnalysisService } from './signal/analysis-service.js';
import { ChannelQueue } from './signal/channel-queue.js';
import type { WaveformEvidence } from './signal/waveform-analysis.js';
import type { MeasurementSink } from './sources/source.js';
import type { TicketManager } from './tickets/ticket-manager.js';
import { NonFiniteSampleError } from './signal/non-finite-sample.js';

/** A rule outcome read the waveform's evidence before the pipeline fetched it. */
class EvidenceNotFetched extends Error {
  constructor(channel: string) {
    super(`the evidence of ${channel} was not fetched before the rule concluded`);
    this.name = 'EvidenceNotFetched';
  }
}

export interface PipelineDeps {
  /**
   * The latest value of every signal, fed here alone: the analyser reads an asset's speed from it,
   * and the rule engine is given the same store for its conditions.
   */
  signals: LatestSignals;
  analysis: AnalysisService;
  /** Waveforms waiting per channel and in all behind the analyses running (see ChannelQueue). */
  queue?: { perChannel: number; total: number };
  engine: RuleEngine;
  tickets: TicketManager;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Called after a ticket event is committed: replication starts at once, local alerts go out. */
  onEvent: (event: OutboxEvent) => void;
  /** Every window's features and every reading, for telemetry summaries. */
  onFeatures?: (features: Features) => void;
  onReading?: (reading: Reading) => void;
  /** Waveform analysis has gone idle: nothing running or waiting. */
  onAnalysisIdle?: () => void;
  /** Waveform analysis has work again, after it was idle. */
  onAnalysisBusy?: () => void;
}

/** How far the pipeline got: cheap to read, for progress polls (`GET /api/v1/status/counters`). */
export interface PipelineProgress {
  /** Measurements handled since start: analysed waveforms, readings, and rejected messages. */
  counters: { waveforms: number; readings: number; rejected: number; dropped: number };
  /** Where waveform analysis runs and how far behind it is. */
  analysis: {
    workers: number;
    inFlight: number;
    queued: number;
    /** Shared buffers made to carry samples to the workers, in use and spare: bounded by the queue. */
    sampleSlots: number;
  };
}

export interface PipelineSnapshot extends PipelineProgress {
  /** The newest features per asset channel: what the agent currently sees. */
  latestFeatures: Features[];
  latestReadings: Reading[];
}

export interface Pipeline {
  sink: MeasurementSink;
  /** The no-data rules: call every second or so. */
  checkSilence(): void;
  snapshot(): PipelineSnapshot;
  /** The counters and the analysis' load alone, without copying the latest values. */
  progress(): PipelineProgress;
  /** Drops waiting waveforms, lets running analyses conclude (at most `graceMs`), stops the workers. */
  close(graceMs?: number): Promise<void>;
}

/** Waveforms that may wait behind a channel's running analysis, and in all. */
const DEFAULT_QUEUE = { perChannel: 16, total: 256 };

/** The per-measurement data path: waveform → features → rules → ticket events in the outbox. */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { signals, analysis, engine, tickets, metrics, logger } = deps;
  const counters = { waveforms: 0, readings: 0, rejected: 0, dropped: 0 };
  let closed = false;
  const queue = new ChannelQueue({
    ...(deps.queue ?? DEFAULT_QUEUE),
    ...(deps.onAnalysisIdle ? { onIdle: deps.onAnalysisIdle } : {}),
    ...(deps.onAnalysisBusy ? { onBusy: deps.onAnalysisBusy } : {}),
    onDropped: (reason, channel) => {
      counters.dropped++;
      metrics.waveformsDropped.inc({ reason });
      if (counters.dropped === 1 || counters.dropped % 1000 === 0)
        logger.warn(
          { channel, reason, dropped: counters.dropped },
          `waveform analysis is behind: dropped a waiting waveform of ${channel} (${reason}; ${counters.dropped} so far); the newest of each channel is kept`,
        );
    },
  });
  const latestFeatures = new Map<string, Features>();
  const latestReadings = new Map<string, Reading>();
  const diagnosisProblems = new Map<string, string>();

  /** Commits one outcome's ticket events; rethrows EvidenceNotFetched, having committed nothing. */
  const applyOne = (outcome: RuleOutcome) => {
    let events: OutboxEvent[];
    try {
      events = tickets.apply(outcome);
    } catch (error) {
      if (error instanceof EvidenceNotFetched) throw error;
      metrics.ruleOutcomes.inc({ rule: outcome.rule.spec.id, kind: outcome.kind });
      engine.revert(outcome);
      metrics.ticketWriteFailures.inc();
      logger.error(
        { err: (error as Error).message, rule: outcome.rule.spec.id, asset: outcome.assetId },
        `could not commit a ticket event to the outbox (${(error as Error).message}); the rule will conclude again on the next evaluation`,
      );
      return;
    }
    metrics.ruleOutcomes.inc({ rule: outcome.rule.spec.id, kind: outcome.kind });
    for (const event of events) {
      metrics.ticketEvents.inc({ type: event.type });
      logger.info(
        {
          seq: event.seq,
          type: event.type,
          ticketId: event.ticket.id,
          asset: event.ticket.assetId,
          rule: outcome.rule.spec.id,
        },
        event.ticket.title,
      );
      deps.onEvent(event);
    }
  };

  const apply = (outcomes: RuleOutcome[]) => {
    for (const outcome of outcomes) applyOne(outcome);
  };

  /**
   * Applies outcomes in order until one reads the waveform's evidence, which is not fetched yet:
   * returns that one and those after it (none when all were applied).
   */
  const applyWithoutEvidence = (outcomes: RuleOutcome[]): RuleOutcome[] => {
    for (let i = 0; i < outcomes.length; i++) {
      try {
        applyOne(outcomes[i]!);
      } catch (error) {
        if (error instanceof EvidenceNotFetched) return outcomes.slice(i);
        throw error;
      }
    }
    return [];
  };

  /** A speed reading of the asset, when its config names one and it is good. */
  const measuredRpm = (assetId: string): number | undefined => {
    const channel = analysis.asset(assetId)?.rpmChannel;
    const reading = channel ? signals.reading(assetId, channel) : undefined;
    return reading?.good ? reading.value : undefined;
  };

  /** A waveform's analysis concluded: features recorded, rules evaluated, tickets committed. */
  const concluded = async (waveform: Waveform, result: AnalysedWaveform) => {
    metrics.waveformsAnalysed.inc();
    counters.waveforms++;
    const key = `${waveform.assetId}/${waveform.channel}`;
    if (result.diagnosisProblem) {
      metrics.diagnosisFallbacks.inc({ asset: waveform.assetId });
      // Once per change of reason, not per window.
      if (diagnosisProblems.get(key) !== result.diagnosisProblem) {
        logger.warn(
          { asset: waveform.assetId, channel: waveform.channel, reason: result.diagnosisProblem },
          `no full diagnosis for ${key}, only broadband features: ${result.diagnosisProblem}`,
        );
      }
    }
    diagnosisProblems.set(key, result.diagnosisProblem ?? '');
    latestFeatures.set(key, result.features);
    deps.onFeatures?.(result.features);
    signals.recordFeatures(result.features, Date.now());
    // Rules read the evidence only when a ticket changes. An open ticket seen again between its
    // updates (the steady state of a machine with a known fault: every waveform) reads none, and
    // the evidence (spectra snapshots, made by the worker that analysed the waveform) costs as much
    // as the analysis: it is fetched only when an outcome reads it, and that outcome applied again.
    let evidence: WaveformEvidence | undefined;
    const outcomes = engine.evaluateFeatures(result.features, () => {
      if (!evidence) throw new EvidenceNotFetched(key);
      return evidence;
    });
    if (outcomes.length === 0 || closed) return;
    const reading = applyWithoutEvidence(outcomes);
    if (reading.length === 0) return;
    metrics.waveformEvidenceFetched.inc();
    try {
      evidence = await result.evidence();
    } catch (error) {
      evidence = { spectrum: { binHz: 1, amplitudes: [], unit: waveform.unit }, findings: [] };
      logger.warn(
        { channel: key, err: (error as Error).message },
        `no evidence for ${key}: ${(error as Error).message}`,
      );
    }
    if (!closed) apply(reading);
  };

  const analyse = async (waveform: Waveform, refuse?: (index: number, value: number) => void) => {
    if (closed) return;
    let result: AnalysedWaveform;
    try {
      result = await analysis.analyse(waveform, measuredRpm(waveform.assetId));
    } catch (error) {
      if (refuse && error instanceof NonFiniteSampleError) {
        refuse(error.index, error.value);
        return;
      }
      // A measurement the analysis cannot use (a non-finite sample, a record too short) is bad input.
      sink.rejected({
        source: 'analysis',
        where: `${waveform.assetId}/${waveform.channel}`,
        reason: 'unprocessable',
        detail: (error as Error).message,
      });
      return;
    }
    if (!closed) await concluded(waveform, result);
  };

  const sink: MeasurementSink = {
    waveform(waveform: Waveform, refuse?: (index: number, value: number) => void) {
      const waiting = analysis.hold(waveform);
      queue.submit(
        `${waveform.assetId}/${waveform.channel}`,
        () => analyse(waiting, refuse),
        () => analysis.discard(waiting),
      );
    },
    reading(reading: Reading) {
      metrics.readingsReceived.inc();
      counters.readings++;
      latestReadings.set(`${reading.assetId}/${reading.channel}`, reading);
      deps.onReading?.(reading);
      signals.recordReading(reading, Date.now());
      apply(engine.evaluateReading(reading));
    },
    rejected({ source, where, reason, detail }) {
      metrics.rejectedMessages.inc({ source, reason });
      counters.rejected++;
      logger.warn({ source, topic: where, reason, detail }, `rejected measurement on ${where}: ${detail}`);
    },
  };

  const progress = (): PipelineProgress => ({
    counters: { ...counters },
    analysis: {
      workers: analysis.workers,
      inFlight: queue.inFlight,
      queued: queue.queued,
      sampleSlots: analysis.sampleSlots,
    },
  });

  return {
    sink,
    checkSilence: () => apply(engine.checkSilence()),
    close: async (graceMs = 2000) => {
      queue.clear();
      await Promise.race([queue.idle(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      closed = true;
      await analysis.close();
    },
    progress,
    snapshot: () => ({
      ...progress(),
      latestFeatures: [...latestFeatures.values()],
      latestReadings: [...latestReadings.values()],
    }),
  };
}
