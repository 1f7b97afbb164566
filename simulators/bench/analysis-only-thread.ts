/**
 * A second analysis-only loop for edge-throughput's baseline, in a worker thread of the bench (see
 * AnalysisOnlyRate): asked for `seconds`, it analyses for that long and answers how many it did.
 */
import { parentPort } from 'node:worker_threads';
import { warmAnalysisOnly } from './edge-throughput-analysis.js';

const port = parentPort;
if (port) {
  const analyseNext = await warmAnalysisOnly();
  port.postMessage({ ready: true });
  port.on('message', ({ seconds, maxCalls }: { seconds: number; maxCalls: number }) => {
    const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    let calls = 0;
    while (calls < maxCalls && process.hrtime.bigint() < end) {
      analyseNext();
      calls++;
    }
    port.postMessage({ calls });
  });
}
