/**
 * Runs `stop` once on Ctrl-C or SIGTERM and exits 0 when it finishes; a second signal exits at once,
 * for the operator whose shutdown hangs.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: (message: string) => void = console.error,
): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: shutting down cleanly (press Ctrl-C again to force)`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
