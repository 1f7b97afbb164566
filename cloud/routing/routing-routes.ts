import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorReply } from '../../shared/schema/index.js';
import { currentUser, requireRole } from '../access/user-auth.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import { RoutingConfig, routingProblems } from './routing-config.js';
import type { RoutingService } from './routing-service.js';
import { ConsumerHealth } from '../tickets/change-consumer.js';
import { sendHttpError } from '../http-errors.js';

const EffectiveRouting = Type.Object({
  source: Type.Union([Type.Literal('file'), Type.Literal('api'), Type.Literal('none')], {
    description: 'api: put through this API (wins over the file from then on); file: cloud.yaml; none',
  }),
  config: RoutingConfig,
  updatedAt: Type.Optional(Type.String()),
  updatedBy: Type.Optional(Type.String()),
});

const OnCallQuery = Type.Object(
  {
    site: Type.String({ minLength: 1, maxLength: 64 }),
    at: Type.Optional(
      Type.String({ format: 'date-time', description: 'the instant to ask about; default now' }),
    ),
  },
  { additionalProperties: false },
);

const OnCallReply = Type.Object({
  site: Type.String(),
  at: Type.String(),
  timezone: Type.String(),
  localTime: Type.String({ description: 'weekday and time at the site, e.g. Mon 06:12' }),
  onCall: Type.Array(Type.Object({ engineer: Type.String(), shift: Type.String() })),
  lead: Type.Optional(Type.String()),
});

const StatusReply = Type.Object({
  source: Type.String(),
  counts: Type.Object({ routed: Type.Integer(), escalated: Type.Integer(), unrouted: Type.Integer() }),
  watching: Type.Integer({ description: 'new tickets whose acknowledge deadline is watched' }),
  paused: Type.Integer({
    description: 'new tickets whose condition cleared: no more paging until it comes back',
  }),
  consumer: ConsumerHealth,
});

/** The routing config (read, replace), who is on call, and how routing is doing. */
export const routingRoutes: FastifyPluginAsync<ModuleRouteOptions<RoutingService>> = async (
  app,
  { services, module: routing, authenticateUser },
) => {
  app.addHook('onRequest', authenticateUser);
  const security = [{ userToken: [] }];
  const tags = ['routing'];

  app.get(
    '/api/v1/routing',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'The routing in force: engineers, on-call schedules, rules, acknowledge times',
        tags,
        security,
        response: { 200: EffectiveRouting, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async () => routing.config(),
  );

  app.put<{ Body: RoutingConfig }>(
    '/api/v1/routing',
    {
      preHandler: requireRole('admin'),
      schema: {
        summary: 'Replace the routing config (wins over cloud.yaml from then on, on every instance)',
        description:
          'Checked like the file: names must refer to routing.engineers, skills must exist, time zones must be IANA. A problem is a 400 naming the field.',
        tags,
        security,
        body: RoutingConfig,
        response: { 200: EffectiveRouting, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request, reply) => {
      const problems = routingProblems(request.body, 'body');
      if (problems.length) {
        return sendHttpError(reply, 'PW_BAD_ROUTING', problems.join('; '));
      }
      const user = currentUser(request);
      request.log.info({ by: user.username }, 'routing config replaced through the API');
      const before = await routing.config();
      const after = await routing.setConfig(request.body, user.username);
      await services.store.audit.record({
        actor: user.username,
        action: 'routing.replace',
        target: 'routing',
        before: { source: before.source, config: before.config },
        after: { source: after.source, config: after.config },
      });
      return after;
    },
  );

  app.get<{ Querystring: Static<typeof OnCallQuery> }>(
    '/api/v1/routing/on-call',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: "Who is on call at a site (now, or at 'at'), and its lead",
        tags,
        security,
        querystring: OnCallQuery,
        response: { 200: OnCallReply, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const { site, at } = request.query;
      const atMs = at === undefined ? services.clock.now() : Date.parse(at);
      const view = await routing.onCall(site, atMs);
      if (!view) {
        return sendHttpError(
          reply,
          'PW_NO_SCHEDULE',
          `querystring/site: site '${site}' has no on-call schedule; add it under routing.sites`,
        );
      }
      return view;
    },
  );

  app.get(
    '/api/v1/routing/status',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'Tickets routed, escalated and left unassigned, and the routing consumer',
        tags,
        security,
        response: { 200: StatusReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async () => routing.status(),
  );
};
