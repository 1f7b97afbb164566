import type { Logger } from 'pino';
import type { Features, OutboxEvent, Reading, Waveform } from '../shared/schema/index.js';
import type { LatestSignals } from './latest-signals.js';
import type { EdgeMetrics } from './metrics.js';
import type { RuleEngine, RuleOutcome } from './rules/rule-engine.js';
import type { WaveformAnalyser } from './signal/waveform-analysis.js';
import type { MeasurementSink } from './sources/source.js';
import type { TicketManager } from './tickets/ticket-manager.js';

export interface PipelineDeps {
  /**
   * The latest value of every signal, fed here alone: the analyser reads an asset's speed from it,
   * and the rule engine is given the same store for its conditions.
   */
  signals: LatestSignals;
  analyser: WaveformAnalyser;
  engine: RuleEngine;
  tickets: TicketManager;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Called after a ticket event is committed: replication starts at once, local alerts go out. */
  onEvent: (event: OutboxEvent) => void;
  /** Every window's features and every reading, for telemetry summaries. */
  onFeatures?: (features: Features) => void;
  onReading?: (reading: Reading) => void;
}

export interface PipelineSnapshot {
  /** Measurements handled since start: analysed waveforms, readings, and rejected messages. */
  counters: { waveforms: number; readings: number; rejected: number };
  /** The newest features per asset channel: what the agent currently sees. */
  latestFeatures: Features[];
  latestReadings: Reading[];
}

export interface Pipeline {
  sink: MeasurementSink;
  /** The no-data rules: call every second or so. */
  checkSilence(): void;
  snapshot(): PipelineSnapshot;
}

/** The per-measurement data path: waveform → features → rules → ticket events in the outbox. */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { signals, analyser, engine, tickets, metrics, logger } = deps;
  const counters = { waveforms: 0, readings: 0, rejected: 0 };
  const latestFeatures = new Map<string, Features>();
  const latestReadings = new Map<string, Reading>();
  const diagnosisProblems = new Map<string, string>();

  const apply = (outcomes: RuleOutcome[]) => {
    for (const outcome of outcomes) {
      metrics.ruleOutcomes.inc({ rule: outcome.rule.spec.id, kind: outcome.kind });
      let events;
      try {
        events = tickets.apply(outcome);
      } catch (error) {
        engine.revert(outcome);
        metrics.ticketWriteFailures.inc();
        logger.error(
          { err: (error as Error).message, rule: outcome.rule.spec.id, asset: outcome.assetId },
          `could not commit a ticket event to the outbox (${(error as Error).message}); the rule will conclude again on the next evaluation`,
        );
        continue;
      }
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
    }
  };

  /** A speed reading of the asset, when its config names one and it is good. */
  const measuredRpm = (assetId: string): number | undefined => {
    const channel = analyser.asset(assetId)?.rpmChannel;
    const reading = channel ? signals.reading(assetId, channel) : undefined;
    return reading?.good ? reading.value : undefined;
  };

  const sink: MeasurementSink = {
    waveform(waveform: Waveform) {
      const analysis = analyser.analyse(waveform, measuredRpm(waveform.assetId));
      metrics.waveformsAnalysed.inc();
      counters.waveforms++;
      const key = `${waveform.assetId}/${waveform.channel}`;
      if (analysis.diagnosisProblem) {
        metrics.diagnosisFallbacks.inc({ asset: waveform.assetId });
        // Once per change of reason, not per window.
        if (diagnosisProblems.get(key) !== analysis.diagnosisProblem) {
          logger.warn(
            { asset: waveform.assetId, channel: waveform.channel, reason: analysis.diagnosisProblem },
            `no full diagnosis for ${key}, only broadband features: ${analysis.diagnosisProblem}`,
          );
        }
      }
      diagnosisProblems.set(key, analysis.diagnosisProblem ?? '');
      latestFeatures.set(key, analysis.features);
      deps.onFeatures?.(analysis.features);
      signals.recordFeatures(analysis.features, Date.now());
      apply(engine.evaluateFeatures(analysis.features, analysis.evidence));
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

  return {
    sink,
    checkSilence: () => apply(engine.checkSilence()),
    snapshot: () => ({
      counters: { ...counters },
      latestFeatures: [...latestFeatures.values()],
      latestReadings: [...latestReadings.values()],
    }),
  };
}
