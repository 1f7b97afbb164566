import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import {
  ErrorReply,
  TICKET_CHANGE_TYPES,
  TicketChangePage,
  TicketChangeType,
} from '../../shared/schema/index.js';
import { visibleSites } from '../access/access-store.js';
import { currentUser, requireRole } from '../access/user-auth.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import type { EventBus } from './event-bus.js';
import { sendHttpError } from '../http-errors.js';

const TYPE_LIST = `^(${TICKET_CHANGE_TYPES.join('|')})(,(${TICKET_CHANGE_TYPES.join('|')}))*$`.replaceAll(
  '.',
  '\\.',
);

const ReplayQuery = Type.Object(
  {
    after: Type.String({
      default: '0',
      maxLength: 40,
      description: 'the nextCursor of the previous page; 0 (default) reads from the beginning',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    site: Type.Optional(Type.String({ maxLength: 64 })),
    type: Type.Optional(Type.String({ pattern: TYPE_LIST, description: 'a change type or a comma list' })),
  },
  { additionalProperties: false },
);
type ReplayQuery = Static<typeof ReplayQuery>;

const WebhookFields = {
  id: Type.Integer(),
  name: Type.Optional(Type.String({ description: 'set for webhooks kept in the config file' })),
  url: Type.String(),
  sites: Type.Optional(Type.Array(Type.String())),
  types: Type.Optional(Type.Array(TicketChangeType)),
  description: Type.Optional(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
};

const CreateWebhookRequest = Type.Object(
  {
    url: Type.String({ maxLength: 2000, description: 'http(s) URL the cloud POSTs each change to' }),
    sites: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 500 }),
    ),
    types: Type.Optional(Type.Array(TicketChangeType, { minItems: 1 })),
    from: Type.Optional(
      Type.Union([Type.Literal('now'), Type.Literal('beginning')], {
        description: 'now (default): only changes from here on; beginning: the whole change log first',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
type CreateWebhookRequest = Static<typeof CreateWebhookRequest>;

const CreatedWebhook = Type.Object({
  ...WebhookFields,
  secret: Type.String({ description: 'the HMAC key to verify deliveries with; shown only in this reply' }),
});

const WebhookStatusView = Type.Object({
  ...WebhookFields,
  cursor: Type.String({ description: 'the last change handled' }),
  lag: Type.Integer({ description: 'changes for this subscription logged after its cursor' }),
  delivered: Type.Integer(),
  failures: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  lastError: Type.Optional(Type.String()),
  lastDeliveredAt: Type.Optional(Type.String()),
  nextAttemptAt: Type.Optional(Type.String()),
  leader: Type.Boolean({ description: 'whether the instance that answered delivers to it' }),
});

const WebhookParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Why a webhook URL cannot be used, or undefined when it can. */
function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `body/url: '${text}' is not a URL; give an http(s) URL such as https://erp.example.com/hooks/plantwatch`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `body/url: must be an http:// or https:// URL (got ${url.protocol}//…); webhooks are POSTed over HTTP`;
  }
  if (url.username || url.password) {
    return 'body/url: must not carry a user and password; the receiver verifies the signature instead';
  }
  return undefined;
}

/** The replay endpoint (any user, own sites) and webhook subscriptions (admins). */
export const busRoutes: FastifyPluginAsync<ModuleRouteOptions<EventBus>> = async (
  app,
  { services, module: bus, authenticateUser },
) => {
  app.addHook('onRequest', authenticateUser);
  const security = [{ userToken: [] }];

  app.get<{ Querystring: ReplayQuery }>(
    '/api/v1/ticket-events',
    {
      schema: {
        summary: 'Ticket changes after a cursor, oldest first: replay, or poll instead of a webhook',
        description:
          'Read a page, process it, store nextCursor, and ask again with after=nextCursor. Only the sites the user may see are returned; a site filter the user may not see gives an empty page.',
        tags: ['events'],
        security,
        querystring: ReplayQuery,
        response: { 200: TicketChangePage, 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const visible = visibleSites(currentUser(request));
      const sites =
        q.site === undefined ? visible : !visible || visible.includes(q.site) ? [q.site] : ([] as string[]);
      try {
        return await bus.replay({
          after: q.after,
          limit: q.limit,
          ...(sites ? { sites } : {}),
          ...(q.type ? { types: [...new Set(q.type.split(','))] as TicketChangeType[] } : {}),
        });
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        return sendHttpError(reply, 'PW_BAD_CURSOR', `querystring/after: ${error.message}`);
      }
    },
  );

  app.get(
    '/api/v1/webhooks',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Webhook subscriptions with their delivery health',
        tags: ['events'],
        security,
        response: {
          200: Type.Object({ webhooks: Type.Array(WebhookStatusView) }),
          401: ErrorReply,
          403: ErrorReply,
        },
      },
    },
    async () => ({ webhooks: await bus.webhookStatus() }),
  );

  app.post<{ Body: CreateWebhookRequest }>(
    '/api/v1/webhooks',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Subscribe a URL to ticket changes (signed POSTs, retried until taken)',
        tags: ['events'],
        security,
        body: CreateWebhookRequest,
        response: { 201: CreatedWebhook, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const problem = urlProblem(body.url);
      if (problem) return sendHttpError(reply, 'PW_BAD_WEBHOOK_URL', problem);
      const actor = currentUser(request).username;
      const subscription = await bus.createWebhook(
        {
          url: body.url,
          from: body.from ?? 'now',
          ...(body.sites ? { sites: body.sites } : {}),
          ...(body.types ? { types: body.types } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
        },
        actor,
      );
      // The secret is redacted by the audit log: the entry says one was issued, not what it is.
      await services.store.audit.record({
        actor,
        action: 'webhook.create',
        target: `webhook:${subscription.id}`,
        after: subscription,
      });
      return reply.code(201).send(subscription);
    },
  );

  app.delete<{ Params: Static<typeof WebhookParams> }>(
    '/api/v1/webhooks/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Stop and delete a webhook subscription',
        tags: ['events'],
        security,
        params: WebhookParams,
        response: { 204: Type.Null(), 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const before = (await bus.webhookStatus()).find((w) => w.id === id);
      if (!(await bus.deleteWebhook(id))) {
        return sendHttpError(
          reply,
          'PW_NO_WEBHOOK',
          `no webhook subscription with id ${request.params.id}; GET /api/v1/webhooks lists them`,
        );
      }
      await services.store.audit.record({
        actor: currentUser(request).username,
        action: 'webhook.delete',
        target: `webhook:${id}`,
        ...(before ? { before: webhookSettings(before) } : {}),
      });
      return reply.code(204).send();
    },
  );
};

/** What an admin set on a webhook, without its delivery counters (which are not a change). */
const webhookSettings = (w: Static<typeof WebhookStatusView>) => ({
  id: w.id,
  url: w.url,
  ...(w.name !== undefined ? { name: w.name } : {}),
  ...(w.sites ? { sites: w.sites } : {}),
  ...(w.types ? { types: w.types } : {}),
  ...(w.description !== undefined ? { description: w.description } : {}),
  createdBy: w.createdBy,
});
