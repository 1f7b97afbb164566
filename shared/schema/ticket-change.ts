import { type Static, Type } from '@sinclair/typebox';
import { Fault, Severity, TicketId, TicketStatus } from './ticket.js';

const IsoTime = Type.String({ format: 'date-time' });

/**
 * Every change to a ticket in the cloud, in the order the cloud made it: what the event bus
 * publishes (webhooks, MQTT per site, the replay endpoint) and what routing and notifications act on.
 */
export const TICKET_CHANGE_TYPES = [
  'ticket.opened',
  /** New occurrences or evidence from the edge; not a state change, so nobody is notified. */
  'ticket.updated',
  'ticket.cleared',
  'ticket.transitioned',
  'ticket.assigned',
  'ticket.escalated',
  'ticket.commented',
  'ticket.work_order_linked',
  'ticket.imported',
  /**
   * The edge made an open ticket more urgent: a higher severity (zone C → D), or a prediction whose
   * failure time moved closer by more than the margin (`ticket-raise.ts`). Logged after the
   * `ticket.updated` of the same batch; detail {from, to, etaBefore?, etaAfter?, reason}.
   */
  'ticket.severity_raised',
] as const;
export const TicketChangeType = Type.Union(TICKET_CHANGE_TYPES.map((t) => Type.Literal(t)));
export type TicketChangeType = Static<typeof TicketChangeType>;

/** Bumped on any incompatible change of the payload; subscribers check it. */
export const TICKET_CHANGE_SCHEMA = 'plantwatch.ticket-change/v1';

/** The ticket as it was right after the change: enough to route, notify and map to a work order. */
export const TicketChangeSubject = Type.Object({
  id: TicketId,
  site: Type.String(),
  assetId: Type.String(),
  gatewayId: Type.String(),
  fault: Fault,
  severity: Severity,
  status: TicketStatus,
  title: Type.String(),
  ruleId: Type.String(),
  ruleVersion: Type.String(),
  openedAt: IsoTime,
  dueAt: IsoTime,
  predicted: Type.Boolean(),
  assignee: Type.Optional(Type.String()),
  /** Raised while its gateway was offline and first seen here much later: history, not an alarm. */
  historical: Type.Optional(Type.Boolean()),
  workOrderId: Type.Optional(Type.String()),
});
export type TicketChangeSubject = Static<typeof TicketChangeSubject>;

export const TicketChange = Type.Object({
  schema: Type.Literal(TICKET_CHANGE_SCHEMA),
  /** Position in the cloud's change log: strictly increasing; pass it as `after` to resume. */
  cursor: Type.String({ pattern: '^[0-9]+$' }),
  type: TicketChangeType,
  at: IsoTime,
  /** A username, `gateway:<id>`, or a cloud component such as `routing`. */
  actor: Type.String(),
  ticket: TicketChangeSubject,
  /** What changed, by type: {from, to} of a transition, {from, to, reason} of an assignment… */
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export type TicketChange = Static<typeof TicketChange>;

export const TicketChangePage = Type.Object({
  changes: Type.Array(TicketChange),
  /** The cursor to ask `after` next; equal to the request's when nothing new happened. */
  nextCursor: Type.String(),
});
export type TicketChangePage = Static<typeof TicketChangePage>;
