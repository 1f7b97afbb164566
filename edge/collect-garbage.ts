import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full collection of this thread's V8 heap, now. V8 frees dead buffers only when it collects, and
 * after a burst of waveforms it can leave tens of MB of them uncollected while the agent idles.
 * The collector is taken the way jest's leak detector takes it: `--expose-gc` set at run time and
 * `gc` read from a fresh context, so the agent needs no node flag (one given on the command line is
 * used as it is).
 */
export function collectGarbage(): void {
  gc ??= exposedGc();
  gc();
}

function exposedGc(): () => void {
  const global = (globalThis as { gc?: () => void }).gc;
  if (global) return global;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
