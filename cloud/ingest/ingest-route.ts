import type { FastifyPluginAsync } from 'fastify';
import { ErrorReply, IngestReply, IngestRequest } from '../../shared/schema/index.js';
import type { CloudMetrics } from '../metrics.js';
import type { CloudStore } from '../store/store.js';
import { gatewayAuth } from './gateway-auth.js';

export interface IngestRouteOptions {
  store: CloudStore;
  metrics: CloudMetrics;
  /** Requests per gateway per window; a gateway over it gets 429 with Retry-After. */
  rateLimit: { max: number; timeWindowMs: number };
}

/** POST /api/v1/ingest: a gateway's outbox events, applied idempotently by (gatewayId, seq). */
export const ingestRoute: FastifyPluginAsync<IngestRouteOptions> = async (
  app,
  { store, metrics, rateLimit },
) => {
  app.addHook('onResponse', async (_request, reply) => {
    metrics.ingestRequests.inc({ code: String(reply.statusCode) });
  });
  app.post<{ Body: IngestRequest }>(
    '/api/v1/ingest',
    {
      onRequest: gatewayAuth(store),
      config: {
        // Keyed by the authenticated gateway (so it runs after auth): one noisy gateway cannot starve the fleet.
        rateLimit: {
          max: rateLimit.max,
          timeWindow: rateLimit.timeWindowMs,
          hook: 'preHandler',
          keyGenerator: (request) => request.gatewayId ?? request.ip,
        },
      },
      schema: {
        summary: "Apply a gateway's outbox events (idempotent by gatewayId and seq)",
        tags: ['ingest'],
        security: [{ gatewayToken: [] }],
        body: IngestRequest,
        response: { 200: IngestReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 429: ErrorReply },
      },
    },
    async (request, reply) => {
      const { gatewayId, events } = request.body;
      if (gatewayId !== request.gatewayId) {
        return reply.code(403).send({
          statusCode: 403,
          error: 'Forbidden',
          code: 'PW_WRONG_GATEWAY',
          message: `this token belongs to gateway '${request.gatewayId}', not '${gatewayId}'`,
        });
      }
      const foreign = events.findIndex((e) => e.gatewayId !== gatewayId);
      if (foreign >= 0) {
        return reply.code(400).send({
          statusCode: 400,
          error: 'Bad Request',
          code: 'PW_MIXED_GATEWAYS',
          message: `body/events/${foreign}/gatewayId must equal body/gatewayId ('${gatewayId}')`,
        });
      }
      const result = await store.applyEvents(gatewayId, events);
      metrics.eventsApplied.inc(result.applied);
      metrics.duplicatesIgnored.inc(result.duplicates);
      request.log.info({ gatewayId, received: events.length, ...result }, 'ingest batch');
      return { ackedSeq: result.ackedSeq, duplicates: result.duplicates };
    },
  );
};
