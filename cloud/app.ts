import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import { bearerTokenMatches, unauthorizedReply } from '../shared/bearer-token.js';
import { createAjv } from '../shared/validation.js';
import { authenticateUser } from './access/user-auth.js';
import { registerApiDocs } from './api-docs.js';
import type { ModuleRouteOptions } from './cloud-module.js';
import { CLOUD_MODULES } from './cloud-modules.js';
import { registerIntegrationMetrics } from './integration-metrics.js';
import { createCloudMetrics } from './metrics.js';
import { cloudRateLimitOptions } from './store/shared-rate-limit-store.js';
import { type CloudModules, runningModule } from './modules.js';
import { refuseNulCharacters } from './nul-characters.js';
import { closingClientErrorHandler } from '../shared/http-client-error.js';
import type { CloudServices } from './services.js';
import { consoleRoutes } from './ui/console-routes.js';

export interface CloudAppOptions {
  services: CloudServices;
  modules: CloudModules;
  logger: Logger;
  /** Largest accepted request body; the edge's batch byte cap stays below it. */
  bodyLimitBytes?: number;
  /** Ingest requests allowed per gateway per window (default 600 a minute: ten batches a second). */
  ingestRateLimit?: { max: number; timeWindowMs: number };
  /** Login attempts per address and username per window (default 10 a minute). */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
  /** `metrics.token` of the cloud config: /metrics then wants it as a bearer token. */
  metricsToken?: string;
}

/**
 * Bodies are validated strictly (no coercion: "5" is not a seq); query strings and path parameters
 * arrive as text, so only they are coerced.
 */
// Fast formats: full date-time checks were 60 % of validating an ingest batch (684 vs 280 ms per
// 100,000 events); the shape check still refuses anything that is not an ISO timestamp.
const strictAjv = createAjv({ allErrors: false }, 'fast');
const coercingAjv = createAjv({ coerceTypes: true, useDefaults: true, allErrors: false });

type Validate = ReturnType<typeof coercingAjv.compile>;

/**
 * Coercion turns the text `Infinity` or `1e999` into a number that passes ajv's integer and range
 * checks, and then fails in the store (a 500). A query or path number must be finite.
 */
function finiteNumbersOnly(validate: Validate): Validate {
  const checked = ((data: unknown) => {
    if (!validate(data)) {
      checked.errors = validate.errors;
      return false;
    }
    const values = data !== null && typeof data === 'object' ? Object.entries(data) : [];
    const infinite = values.find(([, value]) => typeof value === 'number' && !Number.isFinite(value));
    checked.errors = infinite
      ? [
          {
            instancePath: `/${infinite[0]}`,
            schemaPath: '#',
            keyword: 'type',
            params: {},
            message: 'must be a finite number',
          },
        ]
      : null;
    return !infinite;
  }) as Validate;
  return checked;
}

export async function buildCloudApp(options: CloudAppOptions): Promise<FastifyInstance> {
  const metrics = createCloudMetrics();
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 4 * 1024 * 1024,
    // Each ingest batch logs one summary line; per-request lines would double the volume.
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler: closingClientErrorHandler((code) => metrics.requestRefusals.inc({ code })),
    ...(options.tls ? { https: options.tls } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strictAjv.compile(schema) : finiteNumbersOnly(coercingAjv.compile(schema)),
  );
  // Gateways gzip their batches (ticket JSON shrinks about tenfold on a metered link); the body
  // limit applies to the decompressed body, so a small compressed bomb is refused all the same.
  await app.register(compress, { requestEncodings: ['gzip', 'deflate'], threshold: 2048 });
  await registerApiDocs(app);
  const { store, telemetry } = options.services;
  type Reply = { code(n: number): { send(b: unknown): unknown } };
  const probe = (checks: (() => Promise<void>)[]) => async (_request: unknown, reply: Reply) => {
    try {
      for (const check of checks) await check();
      return { status: 'ok' };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  };
  // Alive while the database answers; ready to take traffic once telemetry's store answers too.
  app.get('/healthz', probe([() => store.ping()]));
  app.get('/readyz', probe([() => store.ping(), () => telemetry.ping()]));
  registerIntegrationMetrics(metrics.registry, store.database);
  const { metricsToken } = options;
  const refusal = unauthorizedReply('metrics.token of the cloud config');
  app.get('/metrics', async (request, reply) => {
    if (metricsToken && !bearerTokenMatches(request.headers.authorization, metricsToken))
      return reply.code(401).headers(refusal.headers).send(refusal.body);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  refuseNulCharacters(app, metrics.requestRefusals);
  // Several instances on one PostgreSQL share their counters there, so a limit holds for the whole
  // cloud; a SQLite cloud is one instance and counts in memory.
  await app.register(rateLimit, cloudRateLimitOptions(store.database));
  const routeOptions: Omit<ModuleRouteOptions<unknown>, 'module'> = {
    services: options.services,
    authenticateUser: authenticateUser(store.access),
    metrics,
    limits: {
      ingest: options.ingestRateLimit ?? { max: 600, timeWindowMs: 60_000 },
      ...(options.loginRateLimit ? { login: options.loginRateLimit } : {}),
    },
  };
  for (const module of CLOUD_MODULES) {
    if (!module.routes) continue;
    await app.register(module.routes, {
      ...routeOptions,
      module: runningModule(options.modules, module.name),
    });
  }
  await app.register(consoleRoutes);
  return app;
}
