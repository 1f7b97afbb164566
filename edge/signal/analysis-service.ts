import type { Asset, Features, Waveform } from '../../shared/schema/index.js';
import { WaveformAnalyser, type WaveformEvidence } from './waveform-analysis.js';

/** One waveform's analysis as the pipeline receives it, wherever it ran. */
export interface AnalysedWaveform {
  features: Features;
  diagnosisProblem?: string;
  /** The evidence of this analysis; valid until the channel's next waveform is submitted. */
  evidence(): Promise<WaveformEvidence>;
}

/**
 * Where waveforms are analysed: on the event loop (`analysis.workers: 0`) or in a pool of worker
 * threads. Either keeps one diagnoser per asset channel; a channel's next waveform must not be
 * submitted before its previous analysis (and evidence, if wanted) has come back.
 */
export interface AnalysisService {
  asset(assetId: string): Asset | undefined;
  /**
   * The waveform as it waits for its analysis: its samples, where they must be, moved out of the
   * message they arrived in (see WorkerPoolAnalysis.hold).
   */
  hold(waveform: Waveform): Waveform;
  /** A held waveform that will not be analysed (the queue dropped it): what holds its samples is free again. */
  discard(waveform: Waveform): void;
  analyse(waveform: Waveform, measuredRpm: number | undefined): Promise<AnalysedWaveform>;
  /** After a burst: what the analysis holds for the next one let go, and its threads' garbage collected. */
  collectGarbage(): Promise<void>;
  /** Worker threads running (0 on the event loop). */
  readonly workers: number;
  /** Shared sample slots made (see SampleSlots; 0 on the event loop). */
  readonly sampleSlots: number;
  close(): Promise<void>;
}

/** Analysis on the agent's own event loop: tests, debugging, and gateways with one core. */
export class InProcessAnalysis implements AnalysisService {
  readonly workers = 0;
  readonly sampleSlots = 0;
  private readonly analyser: WaveformAnalyser;

  constructor(assets: readonly Asset[]) {
    this.analyser = new WaveformAnalyser(assets);
  }

  asset(assetId: string): Asset | undefined {
    return this.analyser.asset(assetId);
  }

  /** Analysed where it arrived: nothing to move. */
  hold(waveform: Waveform): Waveform {
    return waveform;
  }

  discard(): void {}

  async analyse(waveform: Waveform, measuredRpm: number | undefined): Promise<AnalysedWaveform> {
    const analysis = this.analyser.analyse(waveform, measuredRpm);
    return {
      features: analysis.features,
      ...(analysis.diagnosisProblem ? { diagnosisProblem: analysis.diagnosisProblem } : {}),
      evidence: async () => analysis.evidence(),
    };
  }

  /** Its garbage is the event loop's: collected with the agent's own. */
  async collectGarbage(): Promise<void> {}

  async close(): Promise<void> {}
}
