import type { Logger } from 'pino';
import type { Features, Reading, Waveform } from '../shared/schema/index.js';
import type { EdgeMetrics } from './metrics.js';
import type { LoadedRule } from './rules/load-rules.js';
import type { ThresholdEvaluator } from './rules/threshold-evaluator.js';
import { analyseWaveform } from './signal/features.js';
import type { MeasurementSink } from './sources/source.js';
import type { TicketManager } from './tickets/ticket-manager.js';

export interface PipelineDeps {
  rules: readonly LoadedRule[];
  evaluator: ThresholdEvaluator;
  tickets: TicketManager;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Called after a ticket event is committed, so replication starts at once. */
  onEvent: () => void;
}

export interface PipelineSnapshot {
  /** Measurements handled since start: analysed waveforms, readings, and rejected messages. */
  counters: { waveforms: number; readings: number; rejected: number };
  /** The newest features per asset channel: what the agent currently sees. */
  latestFeatures: Features[];
  latestReadings: Reading[];
}

/** The per-measurement data path: waveform → features → rules → ticket events in the outbox. */
export function createPipeline(deps: PipelineDeps): {
  sink: MeasurementSink;
  snapshot: () => PipelineSnapshot;
} {
  const { rules, evaluator, tickets, metrics, logger } = deps;
  const counters = { waveforms: 0, readings: 0, rejected: 0 };
  const latestFeatures = new Map<string, Features>();
  const latestReadings = new Map<string, Reading>();

  const sink: MeasurementSink = {
    waveform(waveform: Waveform) {
      const analysis = analyseWaveform(waveform);
      metrics.waveformsAnalysed.inc();
      counters.waveforms++;
      latestFeatures.set(`${waveform.assetId}/${waveform.channel}`, analysis.features);
      for (const outcome of evaluator.evaluate(rules, analysis.features)) {
        let event;
        try {
          event = tickets.apply(outcome, analysis.spectrum);
        } catch (error) {
          evaluator.revert(outcome);
          metrics.ticketWriteFailures.inc();
          logger.error(
            { err: (error as Error).message, rule: outcome.rule.spec.id, asset: outcome.features.assetId },
            'could not commit a ticket event to the outbox; the rule will conclude again on the next window',
          );
          continue;
        }
        if (!event) continue;
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
        deps.onEvent();
      }
    },
    reading(reading: Reading) {
      metrics.readingsReceived.inc();
      counters.readings++;
      latestReadings.set(`${reading.assetId}/${reading.channel}`, reading);
    },
    rejected({ source, where, reason, detail }) {
      metrics.rejectedMessages.inc({ source, reason });
      counters.rejected++;
      logger.warn({ source, topic: where, reason, detail }, `rejected measurement on ${where}: ${detail}`);
    },
  };

  return {
    sink,
    snapshot: () => ({
      counters: { ...counters },
      latestFeatures: [...latestFeatures.values()],
      latestReadings: [...latestReadings.values()],
    }),
  };
}
