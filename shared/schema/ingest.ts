import { type Static, Type } from '@sinclair/typebox';
import { GatewayId, OutboxEvent } from './outbox-event.js';
import { GatewayBacklog } from './review.js';

/** Upper bound on events per batch; the replicator also caps batch bytes below the cloud's body limit. */
export const MAX_EVENTS_PER_BATCH = 500;

export const IngestRequest = Type.Object(
  {
    gatewayId: GatewayId,
    events: Type.Array(OutboxEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }),
    /** The gateway's outbox as it sends this batch: the fleet view shows who is behind. */
    backlog: Type.Optional(GatewayBacklog),
  },
  { additionalProperties: false },
);
export type IngestRequest = Static<typeof IngestRequest>;

export const IngestReply = Type.Object(
  {
    ackedSeq: Type.Integer({ minimum: 0, description: 'highest seq stored with no gap below it' }),
    /**
     * How many events of this batch were already stored. All of them, with ackedSeq beyond the
     * gateway's last seq, means the gateway's outbox restarted its sequence (a new disk or reinstall).
     */
    duplicates: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type IngestReply = Static<typeof IngestReply>;

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
});
