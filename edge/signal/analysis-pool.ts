import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { packageRoot } from '../../shared/paths.js';
import { type Asset, type Waveform, waveformMetadata, waveformOf } from '../../shared/schema/index.js';
import type { AnalysisReply, AnalysisRequest } from './analysis-worker.js';
import type { AnalysedWaveform, AnalysisService } from './analysis-service.js';
import { reapplyYoungGenerationCap, workerYoungGeneration } from '../young-generation.js';
import { NonFiniteSampleError } from './non-finite-sample.js';
import { SampleSlots } from './sample-slots.js';
import type { WaveformEvidence } from './waveform-analysis.js';

const RESPAWN_DELAY_MS = 1000;

/**
 * The compiled worker beside this module; when the agent runs from its TypeScript sources (tests),
 * the build's copy, since a worker thread cannot load TypeScript.
 */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const script = here.endsWith('.ts')
    ? join(packageRoot(), 'dist', 'edge', 'signal', 'analysis-worker.js')
    : join(dirname(here), 'analysis-worker.js');
  if (!existsSync(script))
    throw new Error(
      `the analysis worker ${script} is missing: run npm run build, or set analysis.workers: 0`,
    );
  return script;
}

/** A request before the worker wrapper numbers it. */
type RequestBody = AnalysisRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (reply: AnalysisReply) => void;
  reject: (error: Error) => void;
}

/**
 * Batches posted to a worker and not answered yet. Two: the worker has the next batch while the
 * agent takes in the answers to the last, so a busy worker never waits for the event loop.
 */
const BATCHES_IN_FLIGHT = 2;

/**
 * One worker thread and the requests it has not answered yet. Requests go in batches: those that
 * arrive while two batches are in flight go together as the next one. Waking a sleeping thread
 * costs more than an analysis here (measured on a 2-core VM: 82 µs of CPU per message round trip
 * between idle threads, 2.5 µs per message in a burst), and a message per waveform woke one of the
 * two threads for almost every waveform.
 */
class AnalysisWorker {
  private worker!: Worker;
  private readonly pending = new Map<number, Pending>();
  private outgoing: AnalysisRequest[] = [];
  /** The sample slots this thread has been given (see SampleSlots); a replacement thread has none. */
  private readonly slotsGiven = new Set<number>();
  private batchesInFlight = 0;
  /** Set while a post is due at the end of this event-loop turn, so that one turn's requests go together. */
  private postDue = false;
  private nextId = 1;
  private closing = false;
  /** False between a worker's exit and its replacement: requests then fail at once instead of hanging. */
  private alive = false;

  constructor(
    private readonly assets: readonly Asset[],
    private readonly index: number,
    private readonly logger: Logger,
  ) {
    this.spawn();
  }

  private spawn(): void {
    const spawnedAt = Date.now();
    this.alive = true;
    this.batchesInFlight = 0;
    this.slotsGiven.clear();
    this.worker = new Worker(workerScript(), {
      workerData: { assets: this.assets },
      resourceLimits: workerYoungGeneration(),
    });
    this.worker.once('online', reapplyYoungGenerationCap);
    this.worker.on('message', (replies: AnalysisReply[]) => {
      this.batchesInFlight--;
      for (const reply of replies) {
        const pending = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        pending?.resolve(reply);
      }
      this.schedulePost();
    });
    // A worker that dies (a bug, memory) fails what it held and is replaced; the agent runs on.
    this.worker.on('error', (error) => {
      this.logger.error(
        { worker: this.index, err: error.message },
        `analysis worker ${this.index} failed: ${error.message}`,
      );
    });
    this.worker.on('exit', (code) => {
      this.alive = false;
      const lost = [...this.pending.values()];
      this.pending.clear();
      this.outgoing = [];
      for (const p of lost) p.reject(new Error(`analysis worker ${this.index} stopped (exit code ${code})`));
      if (this.closing) return;
      // One that dies as it starts (a broken build) is retried once a second, not in a tight loop.
      const soon = Date.now() - spawnedAt < RESPAWN_DELAY_MS;
      setTimeout(() => this.closing || this.spawn(), soon ? RESPAWN_DELAY_MS : 0).unref();
    });
  }

  /** True the first time a slot is asked about (it goes with that request), false after. */
  givesSlot(id: number): boolean {
    if (this.slotsGiven.has(id)) return false;
    this.slotsGiven.add(id);
    return true;
  }

  /** Slots the agent forgot: given again, should they come back. */
  forgetSlots(ids: readonly number[]): void {
    for (const id of ids) this.slotsGiven.delete(id);
  }

  request(message: RequestBody): Promise<AnalysisReply> {
    if (!this.alive) return Promise.reject(new Error(`analysis worker ${this.index} is restarting`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.outgoing.push({ ...message, id } as AnalysisRequest);
      this.schedulePost();
    });
  }

  /**
   * Posts what waits as one batch, at the end of this turn of the event loop (the answers of the
   * last batch lead to the next requests only in promise callbacks), when fewer than two are in flight.
   */
  private schedulePost(): void {
    if (this.postDue || this.outgoing.length === 0 || this.batchesInFlight >= BATCHES_IN_FLIGHT) return;
    this.postDue = true;
    setImmediate(() => {
      this.postDue = false;
      if (!this.alive || this.outgoing.length === 0 || this.batchesInFlight >= BATCHES_IN_FLIGHT) return;
      const batch = this.outgoing;
      this.outgoing = [];
      this.batchesInFlight++;
      this.worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

/**
 * Analysis in worker threads, so that MQTT, OPC-UA keep-alives, the status port and the outbox stay
 * responsive while waveforms are analysed. Each asset channel is pinned to one worker (its
 * diagnoser's state lives there); samples wait and travel in a shared slot (see SampleSlots), which
 * is free again once the worker has answered.
 */
export class WorkerPoolAnalysis implements AnalysisService {
  private readonly pool: AnalysisWorker[];
  private readonly assets: Map<string, Asset>;
  private readonly slots = new SampleSlots();

  constructor(assets: readonly Asset[], size: number, logger: Logger) {
    this.assets = new Map(assets.map((a) => [a.id, a]));
    this.pool = Array.from({ length: size }, (_, i) => new AnalysisWorker(assets, i, logger));
  }

  get workers(): number {
    return this.pool.length;
  }

  get sampleSlots(): number {
    return this.slots.size;
  }

  asset(assetId: string): Asset | undefined {
    return this.assets.get(assetId);
  }

  /**
   * The samples copied, on arrival, into the slot that will carry them to a worker. A waveform
   * waiting in the queue that still pointed into its MQTT packet kept the packet and the socket read
   * it was cut from alive (some 130 KB per waveform) long enough for V8 to move them to the old
   * generation, where only a full collection frees them; copied at once, they die young.
   */
  hold(waveform: Waveform): Waveform {
    return waveformOf(waveform, waveform, this.slots.hold(waveform.samples));
  }

  /** A held waveform the queue dropped: its slot carries another. */
  discard(waveform: Waveform): void {
    this.slots.release(waveform.samples);
  }

  async analyse(waveform: Waveform, measuredRpm: number | undefined): Promise<AnalysedWaveform> {
    const channel = `${waveform.assetId}/${waveform.channel}`;
    const worker = this.pool[channelHash(channel) % this.pool.length]!;
    const given = waveform.samples;
    const samples = this.slots.slotOf(given)
      ? (given as Float32Array | Float64Array)
      : this.slots.hold(given);
    const slot = this.slots.slotOf(samples)!;
    let reply: AnalysisReply;
    try {
      const request: RequestBody = {
        type: 'analyse',
        // Without its samples, which wait in the slot.
        waveform: waveformMetadata(waveform, waveform),
        samples: this.slots.describe(samples, slot),
        measuredRpm,
      };
      if (worker.givesSlot(slot.id)) request.slotBuffer = slot.buffer;
      reply = await worker.request(request);
    } finally {
      this.slots.release(samples);
    }
    if ('error' in reply) {
      if (reply.nonFinite) throw new NonFiniteSampleError(reply.nonFinite.index, reply.nonFinite.value);
      throw new Error(reply.error);
    }
    if (!('features' in reply)) throw new Error('analysis worker answered an analysis without features');
    const analysed: AnalysedWaveform = {
      features: reply.features,
      evidence: async (): Promise<WaveformEvidence> => {
        const answer = await worker.request({ type: 'evidence', channel });
        if ('error' in answer) throw new Error(answer.error);
        if (!('evidence' in answer)) throw new Error('analysis worker answered evidence without evidence');
        return answer.evidence;
      },
    };
    // Assigned, not spread (see waveformMetadata).
    if (reply.diagnosisProblem) analysed.diagnosisProblem = reply.diagnosisProblem;
    return analysed;
  }

  /** After a burst: the free sample slots forgotten, here and by the workers, and each worker's garbage collected. */
  async collectGarbage(): Promise<void> {
    const forgetSlots = this.slots.clear();
    await Promise.all(
      this.pool.map((worker) => {
        worker.forgetSlots(forgetSlots);
        return worker.request({ type: 'collect', forgetSlots }).catch(() => undefined);
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.pool.map((w) => w.close()));
  }
}

/** FNV-1a: a stable channel → worker assignment. */
function channelHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The pool the config asks for; `analysis.workers: 0` analyses on the event loop. The signal code
 * (and its WebAssembly FFT heap) is loaded only where the analysis runs.
 */
export async function analysisServiceFor(
  config: { assets: readonly Asset[]; analysis: { workers: number } },
  logger: Logger,
): Promise<AnalysisService> {
  if (config.analysis.workers > 0)
    return new WorkerPoolAnalysis(config.assets, config.analysis.workers, logger);
  const { InProcessAnalysis } = await import('./analysis-service.js');
  return new InProcessAnalysis(config.assets);
}
