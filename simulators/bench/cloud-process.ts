import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../shared/paths.js';
import { sleep } from '../../shared/time.js';
import { freeLoopbackPort } from '../free-port.js';

/**
 * The built cloud in its own process on loopback, with the per-gateway rate limit lifted: a
 * benchmark's client load and the cloud then do not share one event loop.
 */
export async function startCloudProcess(
  db: string,
  what: string,
): Promise<{ url: string; process: ChildProcess }> {
  const port = await freeLoopbackPort();
  const child = spawn(
    process.execPath,
    [
      join(packageRoot(), 'dist', 'plantwatch.js'),
      'cloud',
      '--port',
      String(port),
      '--db',
      db,
      '--ingest-rate',
      '1000000',
    ],
    { stdio: 'ignore', env: { ...process.env, PLANTWATCH_LOG_LEVEL: 'warn' } },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, process: child };
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error(`${what}: the cloud did not answer /healthz on ${url} within 10 s`);
}
