import { type Static, Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { TICKET_STATUSES, type TicketStatus, type TicketView } from '../../shared/schema/index.js';
import { canSeeSite } from '../access/access-store.js';
import type { AuthenticatedUser } from '../access/roles.js';
import type { ReviewStore } from './review-store.js';
import { OPEN_STATUSES } from './ticket-lifecycle.js';
import { sendHttpError } from '../http-errors.js';

/** What routes about one ticket share: its path parameter, the status filter, the 404. */
export const TicketParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export type TicketParams = Static<typeof TicketParams>;

/** `?status=` takes a status, a comma list, or `open` (new, acknowledged, in_progress). */
export const STATUS_LIST = `^(open|${TICKET_STATUSES.join('|')})(,(open|${TICKET_STATUSES.join('|')}))*$`;

export const parseStatuses = (list: string): TicketStatus[] => [
  ...new Set(list.split(',').flatMap((s) => (s === 'open' ? OPEN_STATUSES : [s as TicketStatus]))),
];

export const ticketNotFound = (reply: FastifyReply, id: string) =>
  sendHttpError(reply, 'PW_NO_TICKET', `no ticket with id '${id}'`);

/** The ticket if the user may see it; otherwise a 404 is sent (a hidden ticket does not exist). */
export async function visibleTicket(
  review: ReviewStore,
  user: AuthenticatedUser,
  id: string,
  reply: FastifyReply,
  nowMs = Date.now(),
): Promise<TicketView | undefined> {
  const ticket = await review.get(id, nowMs);
  if (ticket && canSeeSite(user, ticket.site)) return ticket;
  await ticketNotFound(reply, id);
  return undefined;
}
