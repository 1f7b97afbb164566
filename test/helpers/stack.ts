import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import { type CloudOptions, type RunningCloud, startCloud } from '../../cloud/server.js';
import { type EdgeConfig, type EdgeConfigFile, resolveEdgeConfig } from '../../edge/config.js';
import { REDACTED_PATHS } from '../../shared/log.js';

const dirs: string[] = [];

export function tempDir(prefix = 'plantwatch-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A logger whose JSON lines are kept for assertions (and the real redaction applied). */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

export async function startTestCloud(
  options: { db?: string; port?: number; logger?: Logger } & Pick<
    CloudOptions,
    'bodyLimitBytes' | 'ingestRateLimit' | 'influxUrl' | 'tlsCertPath' | 'tlsKeyPath' | 'config' | 'clock'
  > = {},
): Promise<RunningCloud> {
  return startCloud({
    ...options,
    host: '127.0.0.1',
    port: options.port ?? 0,
    db: options.db ?? join(tempDir(), 'cloud.db'),
    logger: options.logger ?? silentLogger(),
  });
}

/** An edge config on loopback with free ports and quick retries, for tests. */
export function testEdgeConfig(
  overrides: Partial<EdgeConfigFile> & Pick<EdgeConfigFile, 'cloud'>,
): EdgeConfig {
  const dir = tempDir();
  return resolveEdgeConfig(
    {
      gatewayId: 'gw-test',
      site: 'test-site',
      dataDir: join(dir, 'edge'),
      http: { port: 0 },
      mqtt: { embedded: { port: 0 } },
      tickets: { updateInterval: '1h' },
      ...overrides,
      cloud: { retryInitial: '50ms', retryMax: '300ms', requestTimeout: '2s', ...overrides.cloud },
    },
    dir,
  );
}

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { freeLoopbackPort as freePort } from '../../simulators/free-port.js';
