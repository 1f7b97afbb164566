import type { FastifyPluginAsync } from 'fastify';
import { ErrorReply, IngestReply, IngestRequest } from '../../shared/schema/index.js';
import type { CloudMetrics } from '../metrics.js';
import type { CloudStore } from '../cloud-store.js';
import { gatewayAuth, requireOwnGateway } from '../access/gateway-auth.js';
import { type HttpErrorCode, sendHttpError } from '../http-errors.js';
import { type IngestRefusal, IngestRefusedError } from './ingest-store.js';

export interface IngestRouteOptions {
  store: CloudStore;
  metrics: CloudMetrics;
  /** Requests per gateway per window; a gateway over it gets 429 with Retry-After. */
  rateLimit: { max: number; timeWindowMs: number };
}

/** Why an ingest request was refused, by status code: the rejects metric's label. */
const REJECT_REASONS: Record<number, string> = {
  400: 'invalid_body',
  401: 'unauthenticated',
  403: 'wrong_gateway',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  500: 'server_error',
  503: 'unavailable',
};

const REFUSAL_CODES: Record<IngestRefusal, HttpErrorCode> = {
  site_not_allowed: 'PW_SITE_NOT_ALLOWED',
  foreign_ticket: 'PW_FOREIGN_TICKET',
  wrong_gateway: 'PW_WRONG_GATEWAY',
};

/** POST /api/v1/ingest: a gateway's outbox events, applied idempotently by (gatewayId, seq). */
export const ingestRoute: FastifyPluginAsync<IngestRouteOptions> = async (
  app,
  { store, metrics, rateLimit },
) => {
  // A refusal's own reason (a 403 has several); other rejects are told apart by their status code.
  const refusals = new WeakMap<object, IngestRefusal>();
  app.addHook('onResponse', async (request, reply) => {
    metrics.ingestRequests.inc({ code: String(reply.statusCode) });
    metrics.ingestSeconds.observe(reply.elapsedTime / 1000);
    const reason = refusals.get(request) ?? REJECT_REASONS[reply.statusCode];
    if (reason) metrics.ingestRejects.inc({ reason });
  });
  app.post<{ Body: IngestRequest }>(
    '/api/v1/ingest',
    {
      onRequest: gatewayAuth(store.access),
      preHandler: requireOwnGateway,
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
        response: {
          200: IngestReply,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          413: ErrorReply,
          429: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const { gatewayId, events, backlog, setAside } = request.body;
      const foreign = events.findIndex((e) => e.gatewayId !== gatewayId);
      if (foreign >= 0) {
        return sendHttpError(
          reply,
          'PW_MIXED_GATEWAYS',
          `body/events/${foreign}/gatewayId must equal body/gatewayId ('${gatewayId}')`,
        );
      }
      let result;
      try {
        result = await store.ingest.applyEvents(
          gatewayId,
          events,
          { backlog, setAside },
          { sites: request.gatewaySites ?? [] },
        );
      } catch (error) {
        if (!(error instanceof IngestRefusedError)) throw error;
        refusals.set(request, error.reason);
        request.log.warn({ gatewayId, reason: error.reason, field: error.field }, 'ingest batch refused');
        return sendHttpError(reply, REFUSAL_CODES[error.reason], error.message);
      }
      metrics.eventsApplied.inc(result.applied);
      metrics.duplicatesIgnored.inc(result.duplicates);
      request.log.info({ gatewayId, received: events.length, ...result }, 'ingest batch');
      const { ackedSeq, duplicates, settledSeq } = result;
      return { ackedSeq, duplicates, ...(settledSeq === undefined ? {} : { settledSeq }) };
    },
  );
};
