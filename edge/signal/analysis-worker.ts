/**
 * A worker thread of the analysis pool: the diagnosers of the asset channels pinned to it, and the
 * latest analysis of each (its evidence is asked for only when a rule concluded on it). Requests
 * come in batches, answered in order in one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Asset, Waveform } from '../../shared/schema/index.js';
import { collectGarbage } from '../collect-garbage.js';
import { NonFiniteSampleError } from './non-finite-sample.js';
import { type WaveformAnalysis, WaveformAnalyser } from './waveform-analysis.js';

export type AnalysisRequest =
  | { type: 'analyse'; id: number; waveform: Waveform; measuredRpm: number | undefined }
  | { type: 'evidence'; id: number; channel: string }
  /** A burst is over: the worker collects its garbage (see FreeMemoryRelease). */
  | { type: 'collect'; id: number };

export type AnalysisReply =
  | {
      id: number;
      features: WaveformAnalysis['features'];
      diagnosisProblem?: string;
      /** The request's sample buffer, handed back to carry another waveform. */
      samples?: ArrayBuffer;
    }
  | { id: number; evidence: ReturnType<WaveformAnalysis['evidence']> }
  | { id: number; collected: { heapUsedBefore: number; heapUsedAfter: number } }
  | {
      id: number;
      error: string;
      /** Set when the samples held a NaN or an Infinity (a NonFiniteSampleError). */
      nonFinite?: { index: number; value: number };
      samples?: ArrayBuffer;
    };

const port = parentPort;
if (port) {
  const analyser = new WaveformAnalyser((workerData as { assets: Asset[] }).assets);
  const latest = new Map<string, WaveformAnalysis>();
  /** One request's answer, and the sample buffer it hands back (if any). */
  const answer = (request: AnalysisRequest): { reply: AnalysisReply; samples?: ArrayBuffer } => {
    // The analysis copies the samples into its own buffers: theirs goes back with the answer.
    const samples = request.type === 'analyse' ? transferable(request.waveform.samples) : undefined;
    const handBack = samples ? { samples } : {};
    try {
      if (request.type === 'collect') {
        const heapUsedBefore = process.memoryUsage().heapUsed;
        collectGarbage();
        return {
          reply: {
            id: request.id,
            collected: { heapUsedBefore, heapUsedAfter: process.memoryUsage().heapUsed },
          },
        };
      }
      if (request.type === 'evidence') {
        const analysis = latest.get(request.channel);
        if (!analysis) throw new Error(`no analysis of ${request.channel} to take evidence from`);
        return { reply: { id: request.id, evidence: analysis.evidence() } };
      }
      const { waveform } = request;
      const analysis = analyser.analyse(waveform, request.measuredRpm);
      latest.set(`${waveform.assetId}/${waveform.channel}`, analysis);
      const reply: AnalysisReply = {
        id: request.id,
        features: analysis.features,
        ...(analysis.diagnosisProblem ? { diagnosisProblem: analysis.diagnosisProblem } : {}),
        ...handBack,
      };
      return { reply, ...handBack };
    } catch (error) {
      const nonFinite =
        error instanceof NonFiniteSampleError
          ? { nonFinite: { index: error.index, value: error.value } }
          : {};
      return {
        reply: { id: request.id, error: (error as Error).message, ...nonFinite, ...handBack },
        ...handBack,
      };
    }
  };
  // A batch in, one message of answers out (see AnalysisWorker in analysis-pool.ts for why).
  port.on('message', (batch: AnalysisRequest[]) => {
    const replies: AnalysisReply[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const request of batch) {
      const { reply, samples } = answer(request);
      replies.push(reply);
      if (samples) transfer.push(samples);
    }
    port.postMessage(replies, transfer);
  });
}

function transferable(samples: Waveform['samples']): ArrayBuffer | undefined {
  return ArrayBuffer.isView(samples) && samples.buffer instanceof ArrayBuffer ? samples.buffer : undefined;
}
