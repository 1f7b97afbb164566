/**
 * A worker thread of the analysis pool: the diagnosers of the asset channels pinned to it, and the
 * latest analysis of each (its evidence is asked for only when a rule concluded on it). Requests
 * come in batches, answered in order in one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Asset, Waveform } from '../../shared/schema/index.js';
import { collectGarbage } from '../collect-garbage.js';
import { NonFiniteSampleError } from './non-finite-sample.js';
import { SlotReader, type SlotSamples } from './sample-slots.js';
import { type WaveformAnalysis, WaveformAnalyser } from './waveform-analysis.js';

export type AnalysisRequest =
  | {
      type: 'analyse';
      id: number;
      waveform: Omit<Waveform, 'samples'>;
      /** Where the samples wait (see SampleSlots), and the slot itself the first time this worker reads it. */
      samples: SlotSamples;
      slotBuffer?: SharedArrayBuffer;
      measuredRpm: number | undefined;
    }
  | { type: 'evidence'; id: number; channel: string }
  /** A burst is over: the worker forgets the slots the agent let go, and collects its garbage (see FreeMemoryRelease). */
  | { type: 'collect'; id: number; forgetSlots?: number[] };

export type AnalysisReply =
  | {
      id: number;
      features: WaveformAnalysis['features'];
      diagnosisProblem?: string;
    }
  | { id: number; evidence: ReturnType<WaveformAnalysis['evidence']> }
  | { id: number; collected: { heapUsedBefore: number; heapUsedAfter: number } }
  | {
      id: number;
      error: string;
      /** Set when the samples held a NaN or an Infinity (a NonFiniteSampleError). */
      nonFinite?: { index: number; value: number };
    };

const port = parentPort;
if (port) {
  const analyser = new WaveformAnalyser((workerData as { assets: Asset[] }).assets);
  const latest = new Map<string, WaveformAnalysis>();
  const slots = new SlotReader();
  const answer = (request: AnalysisRequest): AnalysisReply => {
    try {
      if (request.type === 'collect') {
        slots.forget(request.forgetSlots ?? []);
        const heapUsedBefore = process.memoryUsage().heapUsed;
        collectGarbage();
        return {
          id: request.id,
          collected: { heapUsedBefore, heapUsedAfter: process.memoryUsage().heapUsed },
        };
      }
      if (request.type === 'evidence') {
        const analysis = latest.get(request.channel);
        if (!analysis) throw new Error(`no analysis of ${request.channel} to take evidence from`);
        return { id: request.id, evidence: analysis.evidence() };
      }
      if (request.slotBuffer) slots.add(request.samples.slot, request.slotBuffer);
      // The analysis is done with the slot when it returns: the agent then gives it to another waveform.
      const waveform: Waveform = { ...request.waveform, samples: slots.samples(request.samples) };
      const analysis = analyser.analyse(waveform, request.measuredRpm);
      latest.set(`${waveform.assetId}/${waveform.channel}`, analysis);
      return {
        id: request.id,
        features: analysis.features,
        ...(analysis.diagnosisProblem ? { diagnosisProblem: analysis.diagnosisProblem } : {}),
      };
    } catch (error) {
      const nonFinite =
        error instanceof NonFiniteSampleError
          ? { nonFinite: { index: error.index, value: error.value } }
          : {};
      return { id: request.id, error: (error as Error).message, ...nonFinite };
    }
  };
  // A batch in, one message of answers out (see AnalysisWorker in analysis-pool.ts for why).
  port.on('message', (batch: AnalysisRequest[]) => {
    port.postMessage(batch.map(answer));
  });
}
