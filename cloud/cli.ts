import { Command } from 'commander';
import { integerIn } from '../shared/cli-options.js';
import { createLogger } from '../shared/log.js';
import { stopOnSignals } from '../shared/shutdown.js';
import { gatewayTokensCommand, usersCommand } from './access/users-command.js';
import { importCommand } from './import/import-command.js';
import { redactUrl } from './store/postgres-database.js';
import { loadCloudConfig } from './config/cloud-config.js';
import { startCloud } from './server.js';

const DEFAULT_DB = '.plantwatch/cloud.db';

interface CloudFlags {
  host: string;
  port: number;
  db: string;
  ingestRate: number;
  influx?: string;
  tlsCert?: string;
  tlsKey?: string;
  config?: string;
}

export function cloudCommand(): Command {
  const cloud = new Command('cloud')
    .description('run cloud ingest and the review API')
    // `cloud --db x` and `cloud tokens create --db y` each own their --db.
    .enablePositionalOptions()
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', integerIn(0, 65535), 8080)
    .option(
      '--db <path|url>',
      'SQLite file, or postgres://user:pass@host/db for several instances',
      DEFAULT_DB,
    )
    .option(
      '--ingest-rate <n>',
      'ingest requests allowed per gateway per minute (a batch is up to 500 events)',
      integerIn(1, 10_000_000),
      600,
    )
    .option(
      '--influx <url>',
      'InfluxDB 1.x for telemetry, e.g. http://127.0.0.1:8086/plantwatch (default: the --db store)',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option(
      '--config <file>',
      'cloud.yaml: routing and on-call, notifications, ticket event bus, CMMS (see cloud/README.md)',
    )
    .action(async (options: CloudFlags) => {
      const logger = createLogger('cloud');
      const config = options.config ? loadCloudConfig(options.config) : undefined;
      const cloud = await startCloud({
        host: options.host,
        port: options.port,
        db: options.db,
        logger,
        ingestRateLimit: { max: options.ingestRate, timeWindowMs: 60_000 },
        ...(options.influx ? { influxUrl: options.influx } : {}),
        ...(options.tlsCert ? { tlsCertPath: options.tlsCert } : {}),
        ...(options.tlsKey ? { tlsKeyPath: options.tlsKey } : {}),
        ...(config ? { config } : {}),
      });
      logger.info(
        { url: cloud.url, db: redactUrl(options.db), telemetry: cloud.telemetry.kind },
        `cloud listening on ${cloud.url}`,
      );
      stopOnSignals(
        () => cloud.stop(),
        (m) => logger.info(m),
      );
    });
  cloud.addCommand(gatewayTokensCommand(DEFAULT_DB));
  cloud.addCommand(usersCommand(DEFAULT_DB));
  cloud.addCommand(importCommand(DEFAULT_DB));
  return cloud;
}
