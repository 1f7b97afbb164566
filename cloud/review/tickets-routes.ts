import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { AssetId, ErrorReply, Fault, Ticket, TicketId, TicketStatus } from '../../shared/schema/index.js';
import type { CloudStore } from '../store/store.js';

const TicketQuery = Type.Object(
  {
    status: Type.Optional(TicketStatus),
    site: Type.Optional(Type.String({ maxLength: 64 })),
    asset: Type.Optional(AssetId),
    fault: Type.Optional(Fault),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(TicketId),
  },
  { additionalProperties: false },
);

const TicketPage = Type.Object({ tickets: Type.Array(Ticket), nextCursor: Type.Optional(TicketId) });

/** The engineer-side read API: the ticket queue with filters and cursor paging, and one ticket. */
export const ticketsRoutes: FastifyPluginAsync<{ store: CloudStore }> = async (app, { store }) => {
  app.get<{ Querystring: Static<typeof TicketQuery> }>(
    '/api/v1/tickets',
    {
      schema: {
        summary: 'Tickets, newest first, filtered and paged by cursor',
        tags: ['review'],
        querystring: TicketQuery,
        response: { 200: TicketPage, 400: ErrorReply },
      },
    },
    async (request) => {
      const { status, site, asset, fault, limit, cursor } = request.query;
      return store.listTickets({
        limit,
        ...(status ? { status } : {}),
        ...(site ? { site } : {}),
        ...(asset ? { assetId: asset } : {}),
        ...(fault ? { fault } : {}),
        ...(cursor ? { cursor } : {}),
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/tickets/:id',
    {
      schema: {
        summary: 'One ticket with its evidence',
        tags: ['review'],
        params: Type.Object({ id: Type.String() }),
        response: { 200: Ticket, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const ticket = await store.getTicket(request.params.id);
      if (!ticket) {
        return reply.code(404).send({
          statusCode: 404,
          error: 'Not Found',
          code: 'PW_NO_TICKET',
          message: `no ticket with id '${request.params.id}'`,
        });
      }
      return ticket;
    },
  );

  app.get(
    '/api/v1/gateways',
    { schema: { summary: 'Per gateway: last seen, ackedSeq, events received, gaps', tags: ['review'] } },
    async () => ({ gateways: await store.gateways() }),
  );
};
