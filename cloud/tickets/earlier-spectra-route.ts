import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EarlierSpectraReply, ErrorReply } from '../../shared/schema/index.js';
import { visibleSites } from '../access/access-store.js';
import { currentUser } from '../access/user-auth.js';
import type { ReviewStore } from './review-store.js';
import { TicketParams, visibleTicket } from './ticket-route-parts.js';

const EarlierSpectraQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 20, default: 5 }) },
  { additionalProperties: false },
);

/**
 * `GET /api/v1/tickets/:id/earlier-spectra`: what the console lays under a ticket's spectra. Same
 * access as the ticket itself (404 for one the user may not see), and only tickets of sites the user
 * may see. Registered by ticketsRoutes, under its authentication hook.
 */
export function earlierSpectraRoute(
  app: FastifyInstance,
  review: ReviewStore,
  security: { [label: string]: string[] }[],
): void {
  app.get<{ Params: TicketParams; Querystring: Static<typeof EarlierSpectraQuery> }>(
    '/api/v1/tickets/:id/earlier-spectra',
    {
      schema: {
        summary: 'Earlier spectra of the same asset and channel, newest first, to compare with',
        description:
          "Earlier tickets of the ticket's asset on its evidence channel that carry a spectrum or envelope spectrum, newest first (at most `limit`), and `baseline`: the earliest such ticket when the newest `limit` do not reach back to it.",
        tags: ['review'],
        security,
        params: TicketParams,
        querystring: EarlierSpectraQuery,
        response: { 200: EarlierSpectraReply, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const ticket = await visibleTicket(review, user, request.params.id, reply);
      if (!ticket) return reply;
      const sites = visibleSites(user);
      return review.earlierSpectra(ticket, { limit: request.query.limit, ...(sites ? { sites } : {}) });
    },
  );
}
