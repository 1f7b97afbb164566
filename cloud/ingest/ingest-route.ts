import type { FastifyPluginAsync } from 'fastify';
import { ErrorReply, IngestReply, IngestRequest } from '../../shared/schema/index.js';
import type { CloudStore } from '../store/store.js';
import { gatewayAuth } from './gateway-auth.js';

/** POST /api/v1/ingest: a gateway's outbox events, applied idempotently by (gatewayId, seq). */
export const ingestRoute: FastifyPluginAsync<{ store: CloudStore }> = async (app, { store }) => {
  app.post<{ Body: IngestRequest }>(
    '/api/v1/ingest',
    {
      onRequest: gatewayAuth(store),
      schema: {
        body: IngestRequest,
        response: { 200: IngestReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
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
      request.log.info({ gatewayId, received: events.length, ...result }, 'ingest batch');
      return { ackedSeq: result.ackedSeq };
    },
  );
};
