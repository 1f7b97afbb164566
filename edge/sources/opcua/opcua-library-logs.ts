import { setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from 'pino';

let routed = false;

/**
 * node-opcua prints its warnings and errors straight to the console, including certificate dumps.
 * The source reports each failure itself in plain words, so the library's own lines go to debug.
 */
export function routeOpcuaLibraryLogs(logger: Logger): void {
  if (routed) return;
  routed = true;
  const toDebug = (context: unknown, ...args: unknown[]) =>
    logger.debug({ component: 'node-opcua', context: String(context) }, args.map(String).join(' '));
  setWarningLogger(toDebug);
  setErrorLogger(toDebug);
}
