import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ErrorReply, WorkOrderLink } from '../../shared/schema/index.js';
import { visibleSites } from '../access/access-store.js';
import { currentUser, requireRole } from '../access/user-auth.js';
import {
  parseStatuses,
  STATUS_LIST,
  TicketParams,
  ticketNotFound,
  visibleTicket,
} from '../tickets/ticket-route-parts.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import { CmmsFailedError, type CmmsService, NoCmmsConnectorError, NoTicketError } from './cmms-service.js';
import { ConsumerHealth } from '../tickets/change-consumer.js';
import { sendHttpError } from '../http-errors.js';

const StoredWorkOrder = Type.Object(
  {
    system: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,32}$', description: 'e.g. `csv`, `maximo`' }),
    externalId: Type.String({ minLength: 1, maxLength: 128 }),
    url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2000 })),
  },
  { additionalProperties: false },
);
type StoredWorkOrder = Static<typeof StoredWorkOrder>;

const CmmsStatusReply = Type.Object({
  system: Type.Union([Type.String(), Type.Null()], { description: 'the connector; null: CSV export only' }),
  exportOn: Type.String(),
  sync: Type.Object({
    enabled: Type.Boolean(),
    on: Type.Array(Type.String()),
    reason: Type.Optional(Type.String({ description: 'why sync is off' })),
  }),
  exported: Type.Integer({ description: 'work orders created by this instance since it started' }),
  synced: Type.Integer({ description: 'work-order updates the CMMS took' }),
  skipped: Type.Integer({ description: "changes of tickets whose work order is another system's" }),
  failures: Type.Integer({ description: 'failed CMMS requests (automatic ones are retried)' }),
  lastError: Type.Optional(Type.Object({ at: Type.String(), message: Type.String() })),
  consumer: Type.Union([ConsumerHealth, Type.Null()]),
});

const DATE_OR_TIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}))?$';

const CsvQuery = Type.Object(
  {
    status: Type.Optional(
      Type.String({ pattern: STATUS_LIST, description: 'a status, a comma list, or `open`' }),
    ),
    site: Type.Optional(Type.String({ maxLength: 64 })),
    from: Type.Optional(
      Type.String({ pattern: DATE_OR_TIME, description: 'opened at or after (a date: from its start)' }),
    ),
    to: Type.Optional(
      Type.String({ pattern: DATE_OR_TIME, description: 'opened before (a date: up to its end)' }),
    ),
  },
  { additionalProperties: false },
);
type CsvQuery = Static<typeof CsvQuery>;

const DAY_MS = 86_400_000;
const isDate = (value: string) => value.length === 10;

/** Epoch ms of a query bound, NaN for a day that does not exist (Date.parse takes 2026-02-31). */
function boundMs(value: string): number {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return NaN;
  return Date.parse(isDate(value) ? `${value}T00:00:00Z` : value);
}

/** Work orders: create one in the CMMS, store one a CMMS import gave back, export them as CSV. */
export const cmmsRoutes: FastifyPluginAsync<ModuleRouteOptions<CmmsService>> = async (
  app,
  { services, module: cmms, authenticateUser },
) => {
  app.addHook('onRequest', authenticateUser);
  const security = [{ userToken: [] }];
  const { review } = services.store;

  const ticketOf = (
    request: Parameters<typeof currentUser>[0] & { params: TicketParams },
    reply: FastifyReply,
  ) => visibleTicket(review, currentUser(request), request.params.id, reply, services.clock.now());

  app.post<{ Params: TicketParams }>(
    '/api/v1/tickets/:id/work-order',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: "Create the ticket's work order in the CMMS and store its id on the ticket",
        description:
          'Idempotent: a ticket that has a work order gets it back (200) and nothing is sent. 409 when no CMMS connector is configured; 502 with what the CMMS answered when it fails.',
        tags: ['cmms'],
        security,
        params: TicketParams,
        response: {
          200: WorkOrderLink,
          201: WorkOrderLink,
          401: ErrorReply,
          403: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
          502: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const ticket = await ticketOf(request, reply);
      if (!ticket) return reply;
      if (ticket.workOrder) return reply.code(200).send(ticket.workOrder);
      try {
        return reply.code(201).send(await cmms.exportTicket(ticket.id, currentUser(request).username));
      } catch (error) {
        if (error instanceof NoTicketError) return ticketNotFound(reply, ticket.id);
        if (error instanceof NoCmmsConnectorError) {
          return sendHttpError(reply, 'PW_NO_CMMS', error.message);
        }
        if (error instanceof CmmsFailedError) {
          return sendHttpError(
            reply,
            'PW_CMMS_FAILED',
            `${error.message}; nothing was stored, try again once the CMMS accepts it`,
          );
        }
        throw error;
      }
    },
  );

  app.put<{ Params: TicketParams; Body: StoredWorkOrder }>(
    '/api/v1/tickets/:id/work-order',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'Store the id a CMMS gave a work order (e.g. one imported from the CSV export)',
        tags: ['cmms'],
        security,
        params: TicketParams,
        body: StoredWorkOrder,
        response: { 200: WorkOrderLink, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const ticket = await ticketOf(request, reply);
      if (!ticket) return reply;
      const link: WorkOrderLink = {
        system: request.body.system,
        externalId: request.body.externalId,
        ...(request.body.url ? { url: request.body.url } : {}),
        linkedAt: new Date(services.clock.now()).toISOString(),
      };
      const username = currentUser(request).username;
      const outcome = await review.linkWorkOrder(ticket.id, username, link, services.clock.now());
      if ('problem' in outcome) return ticketNotFound(reply, ticket.id);
      services.logger.info(
        { ticketId: ticket.id, system: link.system, externalId: link.externalId, actor: username },
        'ticket.work_order_linked',
      );
      return link;
    },
  );

  app.get(
    '/api/v1/cmms/status',
    {
      preHandler: requireRole('engineer'),
      schema: {
        summary: 'The CMMS connector, what is exported and synced automatically, and how it is doing',
        description:
          'Counters are of this instance since it started; `consumer.leader` says whether this instance works the automatic export and sync.',
        tags: ['cmms'],
        security,
        response: { 200: CmmsStatusReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async () => cmms.status(),
  );

  app.get<{ Querystring: CsvQuery }>(
    '/api/v1/work-orders.csv',
    {
      schema: {
        summary: 'Tickets as work orders, one CSV row each, for a CMMS import',
        description:
          'RFC 4180 CSV with a header row: the work-order fields, then externalId (empty until stored back). Only the sites the user may see.',
        tags: ['cmms'],
        security,
        querystring: CsvQuery,
        produces: ['text/csv'],
        response: { 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const bound = (field: 'from' | 'to', value: string | undefined) => {
        if (value === undefined) return undefined;
        const ms = boundMs(value);
        return Number.isNaN(ms) ? NaN : field === 'to' && isDate(value) ? ms + DAY_MS : ms;
      };
      const fromMs = bound('from', q.from);
      const toMs = bound('to', q.to);
      for (const [field, ms] of [
        ['from', fromMs],
        ['to', toMs],
      ] as const) {
        if (Number.isNaN(ms)) {
          return sendHttpError(
            reply,
            'PW_BAD_DATE',
            `querystring/${field}: not a date; write 2026-01-31 or 2026-01-31T08:00:00Z`,
          );
        }
      }
      const sites = visibleSites(currentUser(request));
      const csv = await cmms.workOrdersCsv({
        ...(sites ? { sites } : {}),
        ...(q.site !== undefined ? { site: q.site } : {}),
        ...(q.status ? { statuses: parseStatuses(q.status) } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="plantwatch-work-orders.csv"')
        .send(csv);
    },
  );
};
