import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** New space (both semi-spaces) the agent's main thread may grow to, in bytes. */
const TARGET_BYTES = 8 * 1024 * 1024;

/**
 * Keeps the agent's young generation at 8 MB instead of V8's 32 MB.
 *
 * V8 doubles a thread's new space whenever enough of it survives collections, up to 16 MB per
 * semi-space; an agent under load (waveforms in flight) reaches that within seconds and keeps the
 * 32 MB committed. Measured with 64 channels of 16,384-sample waveforms: RSS after a sustained run
 * 216–218 MB at 32 MB, 186–199 MB at 4–8 MB (and 134–167 MB instead of ~200 MB 20 s later, as V8's
 * memory reducer then frees more), at the same throughput. A 2 MB new space (`--max-semi-space-size=1`)
 * costs throughput: waveforms in flight are promoted and freed only by full collections.
 *
 * `--max-semi-space-size` is read only when V8 starts; a gateway started any way gets the cap
 * because V8 reads the growth factor each time it would grow, so growth is allowed below the
 * target and stopped at it. Starting a worker thread resets V8's flags to the command line's
 * (measured: the main thread then grew to 16 MB), so the factor is set again after each
 * collection (cheap: a few per second under load) and when a worker comes up (reapplyYoungGenerationCap).
 * A young generation sized on the command line (NODE_OPTIONS or node's flags) is left as it is.
 */
export function capYoungGeneration(): void {
  if (sizedOnCommandLine()) return;
  const apply = () =>
    v8.setFlagsFromString(`--semi-space-growth-factor=${newSpaceBytes() >= TARGET_BYTES ? 1 : 2}`);
  apply();
  activeCap = apply;
  new PerformanceObserver(apply).observe({ entryTypes: ['gc'] });
}

/** Semi-space an analysis worker starts with, and keeps (MB): a new space of 4 MB. */
const WORKER_SEMI_SPACE_MB = 2;

/**
 * The young generation for an analysis worker about to start, as its resourceLimits.
 *
 * A worker starts with V8's smallest new space (1 MB semi-spaces) and would grow it as survivors
 * pile up, but the agent's cap above sets the process-wide growth factor to 1 once the main thread
 * is at 8 MB, which froze the worker at its start. Measured with 64 channels of 16,384 samples: the
 * worker collected every 20 waveforms, 0.087 ms of scavenging per waveform, as much as the analysis'
 * own JavaScript. With 2 MB semi-spaces it spends 0.045 ms, with 4 MB 0.032 ms; 2 MB, because the
 * semi-spaces are resident memory (each doubling costs the worker 4 MB more) and at a plant's
 * real-time rate collection costs little either way. The initial semi-space is read when V8 creates
 * the worker's heap, so it is set just before.
 */
export function workerYoungGeneration(): { maxYoungGenerationSizeMb: number } {
  if (!sizedOnCommandLine()) v8.setFlagsFromString(`--min-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  // V8's young generation is both semi-spaces and a new large-object space as large as one.
  return { maxYoungGenerationSizeMb: 3 * WORKER_SEMI_SPACE_MB };
}

let activeCap: (() => void) | undefined;

/** After a worker thread has started (which resets V8's flags): the cap again, if there is one. */
export function reapplyYoungGenerationCap(): void {
  activeCap?.();
}

function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

function sizedOnCommandLine(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) =>
    /^--(max-semi-space-size|semi-space-growth-factor|max-young-generation)/.test(f.replace(/_/g, '-')),
  );
}
