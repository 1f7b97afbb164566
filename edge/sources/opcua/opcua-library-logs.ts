import { format } from 'node:util';
import { setErrorLogger, setWarningLogger } from 'node-opcua';

/**
 * node-opcua prints its warnings and errors to stdout with console.log, certificate dumps included,
 * which would mix into a command's output. This sends them to `write` instead. W27 (RSA PKCS#1 v1.5
 * on this Node version) is dropped: it concerns only Basic128Rsa15, a policy Plantwatch never offers.
 * The setting is process-wide; the last caller wins.
 */
export function routeOpcuaLibraryLogs(write: (level: 'warning' | 'error', text: string) => void): void {
  const forward =
    (level: 'warning' | 'error') =>
    (_context: unknown, ...args: unknown[]) => {
      const text = format(...args);
      if (/NODE-OPCUA-W27|CVE-2023-46809/.test(text)) return;
      write(level, text);
    };
  setWarningLogger(forward('warning'));
  setErrorLogger(forward('error'));
}
