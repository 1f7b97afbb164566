import { Worker } from 'node:worker_threads';
import { WaveformAnalyser } from '../../edge/signal/waveform-analysis.js';
import type { Asset } from '../../shared/schema/index.js';
import { bearingSignal, CHANNEL_RATE_HZ } from './analysis.bench.js';
import { settleNativePlans } from './settle-native-plans.js';

/** The edge-throughput run: 64 asset channels of 16,384-sample waveforms from a 2,980 rpm motor. */
export const ASSETS = 64;
export const SAMPLES = 16_384;
export const RPM = 2980;
/** Analysed before the CPU clock starts: plans made, buffers allocated, code warm. */
export const WARM_UP = 2 * ASSETS;

export const benchAssets = (): Asset[] =>
  Array.from({ length: ASSETS }, (_, a) => ({ id: `bench-${a}`, rpm: RPM, bearing: 'skf-6205' }));

/**
 * The agent's analysis alone, round the 64 channels, ready to time: every channel's plan made and
 * the native kernels' transforms re-planned (measured), as they are in the agent before its
 * measured batch.
 */
export async function warmAnalysisOnly(): Promise<() => unknown> {
  const analyser = new WaveformAnalyser(benchAssets());
  const signal = new Float32Array(bearingSignal(SAMPLES, RPM));
  let k = 0;
  const analyseNext = () =>
    analyser.analyse({
      ts: Date.now(),
      assetId: `bench-${k++ % ASSETS}`,
      channel: 'de',
      sampleRateHz: CHANNEL_RATE_HZ,
      unit: 'g',
      rpm: RPM,
      samples: signal,
    });
  for (let i = 0; i < WARM_UP; i++) analyseNext();
  await settleNativePlans([analyseNext]);
  return analyseNext;
}

/**
 * The analysis-only rate edge-throughput holds the agent against: per CPU-second of this process
 * (all its threads), with the analysis running on two threads at once, this one and a worker.
 *
 * The agent keeps two threads busy (its event loop and an analysis worker), and on the 2-core VM
 * the bench was written on the two cores do not run alike: two loops started together ran at
 * 9,700 and 14,300 analyses per CPU-second for a minute, and one loop alone at 7,200 to 15,000
 * from one run to the next, while the agent's own rate held within 10 %. One loop measured
 * whichever core it landed on; two measure both, as the agent uses them.
 */
export class AnalysisOnlyRate {
  private constructor(
    private readonly analyseNext: () => unknown,
    private readonly worker: Worker,
  ) {}

  static async start(): Promise<AnalysisOnlyRate> {
    const worker = new Worker(new URL('./analysis-only-thread.js', import.meta.url));
    const [analyseNext] = await Promise.all([warmAnalysisOnly(), nextMessage(worker)]);
    return new AnalysisOnlyRate(analyseNext, worker);
  }

  /** Analyses per CPU-second over about `seconds`, both threads at once. */
  async measure(seconds: number): Promise<number> {
    const cpu = process.cpuUsage();
    const answer = nextMessage(this.worker);
    this.worker.postMessage({ seconds, maxCalls: MAX_CALLS });
    const calls = callsFor(this.analyseNext, seconds, MAX_CALLS);
    const { calls: workerCalls } = (await answer) as { calls: number };
    const used = process.cpuUsage(cpu);
    return (calls + workerCalls) / ((used.user + used.system) / 1e6);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Calls `analyse` for about `seconds`, at most `maxCalls` times: how many calls it made. */
export function callsFor(analyse: () => unknown, seconds: number, maxCalls: number): number {
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  while (calls < maxCalls && process.hrtime.bigint() < end) {
    analyse();
    calls++;
  }
  return calls;
}

/** Bounds each loop in count as well as in time. */
const MAX_CALLS = 1_000_000;

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    worker.once('error', onError);
    worker.once('message', (message: unknown) => {
      worker.off('error', onError);
      resolve(message);
    });
  });
}
