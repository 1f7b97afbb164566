import { nativeKernels } from '../../edge/signal/native-kernels.js';

/** Windows after which the native kernels have re-planned an engine's transforms for the last time (fftw-plans.c). */
export const NATIVE_LAST_REPLAN_AFTER = 4096;

/**
 * Runs each analysis past the native kernels' last re-planning and waits (up to three minutes)
 * until the refined plans are in: the steady state an agent reaches in its first minutes, and no
 * planning thread sharing the CPU with a timed round.
 */
export async function settleNativePlans(analyses: (() => unknown)[]): Promise<void> {
  if (!nativeKernels) return;
  for (const analyse of analyses) for (let i = 0; i <= NATIVE_LAST_REPLAN_AFTER; i++) analyse();
  const deadline = Date.now() + 180_000;
  while (nativeKernels.measuringPlans() > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}
