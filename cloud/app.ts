import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { createAjv } from '../shared/validation.js';
import { ingestRoute } from './ingest/ingest-route.js';
import { ticketsRoutes } from './review/tickets-routes.js';
import type { CloudStore } from './store/store.js';

export interface CloudAppOptions {
  store: CloudStore;
  logger: Logger;
  /** Largest accepted request body; the edge's batch byte cap stays below it. */
  bodyLimitBytes?: number;
}

/**
 * Bodies are validated strictly (no coercion: "5" is not a seq); query strings and path parameters
 * arrive as text, so only they are coerced.
 */
const strictAjv = createAjv({ allErrors: false });
const coercingAjv = createAjv({ coerceTypes: true, useDefaults: true, allErrors: false });

export async function buildCloudApp(options: CloudAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 4 * 1024 * 1024,
    // Each ingest batch logs one summary line; per-request lines would double the volume.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(
    ({ schema, httpPart }) =>
      (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema) as ReturnType<typeof strictAjv.compile>,
  );
  app.get('/healthz', async (_request, reply) => {
    try {
      await options.store.ping();
      return { status: 'ok' };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  });
  await app.register(ingestRoute, { store: options.store });
  await app.register(ticketsRoutes, { store: options.store });
  return app;
}
