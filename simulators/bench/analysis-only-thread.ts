/**
 * A second analysis-only loop for edge-throughput's baseline, in a worker thread of the bench (see
 * AnalysisOnlyRate): asked for `seconds`, it analyses for that long and answers how many it did.
 */
import { parentPort } from 'node:worker_threads';
import { callsFor, warmAnalysisOnly } from './edge-throughput-analysis.js';

const port = parentPort;
if (port) {
  const analyseNext = await warmAnalysisOnly();
  port.postMessage({ ready: true });
  port.on('message', ({ seconds, maxCalls }: { seconds: number; maxCalls: number }) => {
    port.postMessage({ calls: callsFor(analyseNext, seconds, maxCalls) });
  });
}
