import type { FastifyPluginAsync } from 'fastify';
import { AdminAuditPage, AdminAuditQuery } from '../../shared/schema/audit.js';
import { ErrorReply } from '../../shared/schema/index.js';
import { requireRole } from '../access/user-auth.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import { sendHttpError } from '../http-errors.js';

/** `GET /api/v1/audit`: the admin audit log, for admins only. */
export const auditRoutes: FastifyPluginAsync<ModuleRouteOptions<undefined>> = async (
  app,
  { services, authenticateUser },
) => {
  app.get<{ Querystring: AdminAuditQuery }>(
    '/api/v1/audit',
    {
      onRequest: authenticateUser,
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Administrative changes, newest first: who, when, what, before and after (secrets masked)',
        description:
          'Filters combine: actor, action (or a prefix such as `user.`), target, since (inclusive), until (exclusive). Page with `cursor` = the previous nextCursor.',
        tags: ['access'],
        security: [{ userToken: [] }],
        querystring: AdminAuditQuery,
        response: { 200: AdminAuditPage, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request, reply) => {
      const q = request.query;
      try {
        return await services.store.audit.list({
          limit: q.limit,
          ...(q.actor !== undefined ? { actor: q.actor } : {}),
          ...(q.action !== undefined ? { action: q.action } : {}),
          ...(q.target !== undefined ? { target: q.target } : {}),
          ...(q.since !== undefined ? { since: q.since } : {}),
          ...(q.until !== undefined ? { until: q.until } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        });
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        return sendHttpError(reply, 'PW_BAD_CURSOR', `querystring/cursor: ${error.message}`);
      }
    },
  );
};
