import { type Static, Type } from '@sinclair/typebox';
import { Ticket } from './ticket.js';

export const GatewayId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'gateway id' });

export const EVENT_TYPES = ['ticket.opened', 'ticket.updated', 'ticket.cleared'] as const;
export const OutboxEventType = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));
export type OutboxEventType = Static<typeof OutboxEventType>;

/** One change at the edge. seq is per gateway, strictly increasing and gap-free: the cloud's watermark. */
export const OutboxEvent = Type.Object(
  {
    gatewayId: GatewayId,
    seq: Type.Integer({ minimum: 1 }),
    type: OutboxEventType,
    at: Type.String({ format: 'date-time' }),
    /**
     * The seq of this gateway's previous event for the same asset (0: none). With it the cloud may
     * apply an event before earlier events of other assets arrive (newest first after an outage),
     * and still apply each asset's events in order. Without it, events apply in seq order only.
     */
    prevSeqForAsset: Type.Optional(Type.Integer({ minimum: 0 })),
    ticket: Ticket,
  },
  { additionalProperties: false },
);
export type OutboxEvent = Static<typeof OutboxEvent>;

/** The most set-aside events a gateway reports in one batch: the newest ones, when more wait. */
export const MAX_SET_ASIDE_PER_BATCH = 50;

/**
 * An event the gateway set aside (dead-lettered) after the cloud refused it for its content, as
 * often as the gateway allows. It stays in the gateway's outbox until an operator resends it; the
 * cloud is told so its gap shows why the seq is missing, and so it need not wait for it.
 */
export const SetAsideEvent = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    // Free text, not the event schema's types: a refused event's own fields may be what is wrong,
    // and its report must never be refused in turn.
    type: Type.String({ maxLength: 64 }),
    ticketId: Type.String({ maxLength: 200 }),
    /** The cloud's refusal, as the gateway last heard it. */
    reason: Type.String({ maxLength: 1000 }),
    attempts: Type.Integer({ minimum: 1 }),
    /** When the gateway set it aside. */
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type SetAsideEvent = Static<typeof SetAsideEvent>;
