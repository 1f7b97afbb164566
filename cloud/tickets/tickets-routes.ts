import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import {
  AssetId,
  AssignRequest,
  CommentRequest,
  ErrorReply,
  Fault,
  GatewayView,
  RuleTrackRecord,
  TicketComment,
  TicketDetail,
  TicketPage,
  TicketView,
  TransitionRequest,
} from '../../shared/schema/index.js';
import { type AccessStore, canSeeSite, hasRole, visibleSites } from '../access/access-store.js';
import { currentUser, requireRole } from '../access/user-auth.js';
import { earlierSpectraRoute } from './earlier-spectra-route.js';
import type { IngestStore } from './ingest-store.js';
import type { ReviewOutcome, ReviewStore } from './review-store.js';
import { TRANSITIONS } from './ticket-lifecycle.js';
import {
  parseStatuses,
  STATUS_LIST,
  TicketParams,
  ticketNotFound,
  visibleTicket,
} from './ticket-route-parts.js';
import { type HttpErrorCode, sendHttpError } from '../http-errors.js';
import type { CloudMetrics } from '../metrics.js';

const TicketQuery = Type.Object(
  {
    status: Type.Optional(
      Type.String({
        pattern: STATUS_LIST,
        description: 'a status, a comma list, or `open` (new, acknowledged, in_progress)',
      }),
    ),
    site: Type.Optional(Type.String({ maxLength: 64 })),
    asset: Type.Optional(AssetId),
    fault: Type.Optional(Fault),
    assignee: Type.Optional(Type.String({ maxLength: 64 })),
    predicted: Type.Optional(
      Type.Boolean({ description: 'true: raised by a trend prediction; false: fired' }),
    ),
    overdue: Type.Optional(Type.Boolean()),
    sort: Type.Union([Type.Literal('newest'), Type.Literal('urgency')], {
      default: 'newest',
      description: 'newest first, or by severity then due date (the work queue)',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/**
 * Maps a lifecycle outcome to the HTTP reply: 404, 409 for a move the state does not allow (or an
 * active condition resolved without confirmActive), 400; refusals are counted by code.
 */
function sendOutcome<T>(
  reply: FastifyReply,
  id: string,
  outcome: ReviewOutcome<T>,
  refusals: CloudMetrics['ticketActionRefusals'],
  okCode = 200,
) {
  if ('ok' in outcome) return reply.code(okCode).send(outcome.ok);
  const { problem } = outcome;
  if (problem.kind === 'not_found') return ticketNotFound(reply, id);
  const [code, message]: [HttpErrorCode, string] =
    problem.kind === 'conflict'
      ? ['PW_BAD_TRANSITION', problem.message]
      : problem.kind === 'condition_active'
        ? ['PW_CONDITION_ACTIVE', `body/confirmActive: ${problem.message}`]
        : ['PW_INVALID_TRANSITION', `body/${problem.field}: ${problem.message}`];
  refusals.inc({ code });
  return sendHttpError(reply, code, message);
}

export interface ReviewRoutesOptions {
  review: ReviewStore;
  ingest: IngestStore;
  /** Who may be given a ticket: an existing, enabled user who sees its site. */
  access: AccessStore;
  authenticateUser: onRequestHookHandler;
  metrics: CloudMetrics;
}

/** The engineers' API: the queue, a ticket with its history, lifecycle moves, rule track record, fleet. */
export const ticketsRoutes: FastifyPluginAsync<ReviewRoutesOptions> = async (
  app,
  { review, ingest, access, authenticateUser, metrics },
) => {
  app.addHook('onRequest', authenticateUser);
  const security = [{ userToken: [] }];

  app.get<{ Querystring: Static<typeof TicketQuery> }>(
    '/api/v1/tickets',
    {
      schema: {
        summary: 'Tickets the user may see, filtered, sorted and paged by cursor',
        tags: ['review'],
        security,
        querystring: TicketQuery,
        response: { 200: TicketPage, 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const sites = visibleSites(currentUser(request));
      try {
        return await review.list({
          sort: q.sort,
          limit: q.limit,
          ...(sites ? { sites } : {}),
          ...(q.status ? { statuses: parseStatuses(q.status) } : {}),
          ...(q.site !== undefined ? { site: q.site } : {}),
          ...(q.asset !== undefined ? { assetId: q.asset } : {}),
          ...(q.fault !== undefined ? { fault: q.fault } : {}),
          ...(q.assignee !== undefined ? { assignee: q.assignee } : {}),
          ...(q.predicted !== undefined ? { predicted: q.predicted } : {}),
          ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        return sendHttpError(reply, 'PW_BAD_CURSOR', `querystring/cursor: ${error.message}`);
      }
    },
  );

  app.get<{ Params: TicketParams }>(
    '/api/v1/tickets/:id',
    {
      schema: {
        summary: 'One ticket with its evidence, comments and audit trail',
        tags: ['review'],
        security,
        params: TicketParams,
        response: { 200: TicketDetail, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const ticket = await review.detail(request.params.id);
      const user = currentUser(request);
      // A ticket of a site the user may not see does not exist for them.
      if (!ticket || !canSeeSite(user, ticket.site)) return ticketNotFound(reply, request.params.id);
      return { ...ticket, allowedTransitions: hasRole(user, 'engineer') ? TRANSITIONS[ticket.status] : [] };
    },
  );

  earlierSpectraRoute(app, review, security);

  /**
   * Runs an engineer's action on a ticket the user may see (404 otherwise, as if it did not exist)
   * and sends its outcome.
   */
  const actOnTicket = async <T>(
    request: FastifyRequest<{ Params: TicketParams }>,
    reply: FastifyReply,
    action: (id: string, username: string) => Promise<ReviewOutcome<T>>,
    okCode = 200,
  ) => {
    const user = currentUser(request);
    if (!(await visibleTicket(review, user, request.params.id, reply))) return reply;
    const outcome = await action(request.params.id, user.username);
    return sendOutcome(reply, request.params.id, outcome, metrics.ticketActionRefusals, okCode);
  };

  app.post<{ Params: TicketParams; Body: TransitionRequest }>(
    '/api/v1/tickets/:id/transitions',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'Move a ticket on its lifecycle (resolve needs the close-out)',
        description:
          'new → acknowledged → in_progress → resolved → closed, plus false_positive and duplicate. A move the current state does not allow is 409; so is resolving a ticket whose condition is still active at the edge without confirmActive: true (PW_CONDITION_ACTIVE).',
        tags: ['review'],
        security,
        params: TicketParams,
        body: TransitionRequest,
        response: {
          200: TicketView,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
        },
      },
    },
    async (request, reply) =>
      actOnTicket(request, reply, (id, username) => review.transition(id, username, request.body)),
  );

  app.put<{ Params: TicketParams; Body: AssignRequest }>(
    '/api/v1/tickets/:id/assignee',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'Assign the ticket to a person (null: unassign)',
        tags: ['review'],
        security,
        params: TicketParams,
        body: AssignRequest,
        response: { 200: TicketView, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const { assignee } = request.body;
      if (assignee !== null) {
        const ticket = await visibleTicket(review, currentUser(request), request.params.id, reply);
        if (!ticket) return reply;
        const problem = await access.assigneeProblem(assignee, ticket.site);
        if (problem) {
          metrics.ticketActionRefusals.inc({ code: 'PW_BAD_ASSIGNEE' });
          return sendHttpError(reply, 'PW_BAD_ASSIGNEE', `body/assignee: ${problem}`);
        }
      }
      return actOnTicket(request, reply, (id, username) => review.assign(id, username, request.body));
    },
  );

  app.post<{ Params: TicketParams; Body: Static<typeof CommentRequest> }>(
    '/api/v1/tickets/:id/comments',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'Comment on a ticket',
        tags: ['review'],
        security,
        params: TicketParams,
        body: CommentRequest,
        response: { 201: TicketComment, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) =>
      actOnTicket(request, reply, (id, username) => review.comment(id, username, request.body.text), 201),
  );

  app.get(
    '/api/v1/rules/track-record',
    {
      schema: {
        summary: 'Per rule version: fired, confirmed, false positives, median lead time',
        tags: ['review'],
        security,
        response: { 200: Type.Object({ rules: Type.Array(RuleTrackRecord) }), 401: ErrorReply },
      },
    },
    async (request) => ({ rules: await review.trackRecord(visibleSites(currentUser(request))) }),
  );

  app.get(
    '/api/v1/gateways',
    {
      schema: {
        summary: 'Per gateway: last seen, ackedSeq, events received, gaps, reported backlog',
        tags: ['review'],
        security,
        response: { 200: Type.Object({ gateways: Type.Array(GatewayView) }), 401: ErrorReply },
      },
    },
    async (request) => ({ gateways: await ingest.gateways(visibleSites(currentUser(request))) }),
  );
};
