import { nativeKernels } from '../../edge/signal/native-kernels.js';

/** Windows after which the native kernels re-plan an engine's transforms measured (window-spectra.c). */
const NATIVE_UPGRADE_AFTER = 256;

/**
 * Runs each analysis past the native kernels' re-planning and waits (up to a minute) until the
 * measured plans are in: the steady state an agent runs in, and no planning thread sharing the CPU
 * with a timed round.
 */
export async function settleNativePlans(analyses: (() => unknown)[]): Promise<void> {
  if (!nativeKernels) return;
  for (const analyse of analyses) for (let i = 0; i <= NATIVE_UPGRADE_AFTER; i++) analyse();
  const deadline = Date.now() + 60_000;
  while (nativeKernels.measuringPlans() > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}
