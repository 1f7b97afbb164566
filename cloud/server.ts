import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createLogger } from '../shared/log.js';
import { buildCloudApp } from './app.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { CloudStore } from './store/store.js';

export interface CloudOptions {
  host: string;
  port: number;
  /** SQLite file path (PostgreSQL URLs arrive with the scale-out store). */
  db: string;
  logger?: Logger;
  bodyLimitBytes?: number;
  ingestRateLimit?: { max: number; timeWindowMs: number };
}

export interface RunningCloud {
  url: string;
  store: CloudStore;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export function openStore(db: string): CloudStore {
  if (/^postgres(ql)?:\/\//.test(db)) {
    throw new Error(
      'PostgreSQL storage is not available yet in this version; use a SQLite file path for --db',
    );
  }
  return new SqliteStore(db);
}

export async function startCloud(options: CloudOptions): Promise<RunningCloud> {
  const logger = options.logger ?? createLogger('cloud');
  const store = openStore(options.db);
  const app = await buildCloudApp({
    store,
    logger,
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.ingestRateLimit ? { ingestRateLimit: options.ingestRateLimit } : {}),
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await store.close();
    const e = error as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `port ${options.host}:${options.port} is in use; choose another with --port`
        : e.message,
      { cause: error },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  return {
    url,
    store,
    app,
    async stop() {
      await app.close();
      await store.close();
    },
  };
}
