import { Command } from 'commander';
import { integerIn } from '../shared/cli-options.js';
import { createLogger } from '../shared/log.js';
import { stopOnSignals } from '../shared/shutdown.js';
import { openStore, startCloud } from './server.js';

const DEFAULT_DB = '.plantwatch/cloud.db';

export function cloudCommand(): Command {
  const cloud = new Command('cloud')
    .description('run cloud ingest and the review API')
    // `cloud --db x` and `cloud tokens create --db y` each own their --db.
    .enablePositionalOptions()
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', integerIn(0, 65535), 8080)
    .option('--db <path>', 'SQLite file for tickets and gateway tokens', DEFAULT_DB)
    .option(
      '--ingest-rate <n>',
      'ingest requests allowed per gateway per minute (a batch is up to 500 events)',
      integerIn(1, 10_000_000),
      600,
    )
    .action(async (options: { host: string; port: number; db: string; ingestRate: number }) => {
      const logger = createLogger('cloud');
      const cloud = await startCloud({
        host: options.host,
        port: options.port,
        db: options.db,
        logger,
        ingestRateLimit: { max: options.ingestRate, timeWindowMs: 60_000 },
      });
      logger.info({ url: cloud.url, db: options.db }, `cloud listening on ${cloud.url}`);
      stopOnSignals(
        () => cloud.stop(),
        (m) => logger.info(m),
      );
    });

  const tokens = cloud.command('tokens').description('per-gateway ingest tokens');
  tokens
    .command('create')
    .description('create a token for a gateway; printed once, stored hashed')
    .argument('<gatewayId>')
    .option('--db <path>', 'cloud database', DEFAULT_DB)
    .action(async (gatewayId: string, options: { db: string }) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(gatewayId)) {
        throw new Error(`gateway id '${gatewayId}' may contain only letters, digits, _ . - (at most 64)`);
      }
      const store = openStore(options.db);
      const token = await store.createGatewayToken(gatewayId);
      await store.close();
      console.error(
        `token for gateway '${gatewayId}' (shown once; put it in the edge config as cloud.token):`,
      );
      console.log(token);
    });
  tokens
    .command('list')
    .option('--db <path>', 'cloud database', DEFAULT_DB)
    .action(async (options: { db: string }) => {
      const store = openStore(options.db);
      for (const t of await store.listGatewayTokens()) {
        console.log(
          `${t.gatewayId}\t${t.tokenPrefix}…\tcreated ${t.createdAt}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ''}`,
        );
      }
      await store.close();
    });
  tokens
    .command('revoke')
    .argument('<gatewayId>')
    .option('--db <path>', 'cloud database', DEFAULT_DB)
    .action(async (gatewayId: string, options: { db: string }) => {
      const store = openStore(options.db);
      const n = await store.revokeGatewayTokens(gatewayId);
      await store.close();
      console.log(`revoked ${n} token(s) of gateway '${gatewayId}'`);
    });
  return cloud;
}
