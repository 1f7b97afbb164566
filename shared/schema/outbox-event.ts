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
