import { closeWithin } from '../shared/http-close.js';
import { upgradeBindingWarning } from './access/gateway-tokens.js';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import { createLogger } from '../shared/log.js';
import type { CloudConfig } from './config/cloud-config.js';
import { type CloudModules, startCloudModules } from './modules.js';
import type { CloudServices } from './services.js';
import { buildCloudApp, type CloudAppOptions } from './app.js';
import type { CloudStore } from './cloud-store.js';
import { openCloudStore } from './open-cloud-store.js';
import { openTelemetrySink } from './telemetry/open-telemetry-sink.js';
import type { TelemetrySink } from './telemetry/telemetry-sink.js';

export interface CloudOptions {
  host: string;
  port: number;
  /** A SQLite file path, or a postgres:// URL for several instances over one database. */
  db: string;
  /** InfluxDB 1.x for telemetry, e.g. http://127.0.0.1:8086/plantwatch; the store keeps it otherwise. */
  influxUrl?: string;
  logger?: Logger;
  bodyLimitBytes?: number;
  ingestRateLimit?: CloudAppOptions['ingestRateLimit'];
  loginRateLimit?: CloudAppOptions['loginRateLimit'];
  /** PEM files: with both, the cloud serves HTTPS. */
  tlsCertPath?: string;
  tlsKeyPath?: string;
  /** Routing, notifications, event bus, CMMS (`--config cloud.yaml`). */
  config?: CloudConfig;
  /** Time for deadlines, quiet hours and digests; tests pass a ManualClock. */
  clock?: Clock;
}

export interface RunningCloud {
  url: string;
  store: CloudStore;
  telemetry: TelemetrySink;
  services: CloudServices;
  modules: CloudModules;
  app: FastifyInstance;
  stop(): Promise<void>;
}

function readTls(options: CloudOptions): CloudAppOptions['tls'] {
  if (!options.tlsCertPath && !options.tlsKeyPath) return undefined;
  if (!options.tlsCertPath || !options.tlsKeyPath) {
    throw new Error('HTTPS needs both --tls-cert and --tls-key (PEM files)');
  }
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`cannot read the TLS ${what} ${path}: ${(error as Error).message}`, { cause: error });
    }
  };
  return { cert: read(options.tlsCertPath, 'certificate'), key: read(options.tlsKeyPath, 'key') };
}

export async function startCloud(options: CloudOptions): Promise<RunningCloud> {
  const logger = options.logger ?? createLogger('cloud');
  const tls = readTls(options);
  const store = await openCloudStore(options.db);
  let telemetry: TelemetrySink | undefined;
  let modules: CloudModules | undefined;
  let app: FastifyInstance;
  let listeningUrl = '';
  let services: CloudServices;
  try {
    telemetry = await openTelemetrySink({
      db: store.database,
      logger,
      ...(options.influxUrl ? { influxUrl: options.influxUrl } : {}),
    });
    services = {
      store,
      telemetry,
      clock: options.clock ?? systemClock,
      logger,
      publicUrl: () => options.config?.publicUrl ?? listeningUrl,
    };
    modules = await startCloudModules(services, options.config ?? {});
    app = await buildCloudApp({
      services,
      modules,
      logger,
      ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
      ...(options.ingestRateLimit ? { ingestRateLimit: options.ingestRateLimit } : {}),
      ...(options.loginRateLimit ? { loginRateLimit: options.loginRateLimit } : {}),
      ...(tls ? { tls } : {}),
      ...(options.config?.metrics?.token ? { metricsToken: options.config.metrics.token } : {}),
    });
    await app.listen({ host: options.host, port: options.port });
    // Tokens from before site binding write only the sites the upgrade found: say how to bind them.
    for (const token of await store.access.gatewayTokens.boundByUpgrade()) {
      logger.warn(
        { gatewayId: token.gatewayId, tokenId: token.id, sites: token.sites },
        upgradeBindingWarning(token),
      );
    }
  } catch (error) {
    await modules?.stop();
    await telemetry?.close();
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
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  listeningUrl = url;
  return {
    url,
    store,
    telemetry,
    services,
    modules,
    app,
    async stop() {
      await closeWithin(app);
      await modules.stop();
      await telemetry.close();
      await store.close();
    },
  };
}
