import { type Static, Type } from '@sinclair/typebox';
import { GatewayId, MAX_SET_ASIDE_PER_BATCH, OutboxEvent, SetAsideEvent } from './outbox-event.js';
import { GatewayBacklog } from './review.js';

/** Upper bound on events per batch; the replicator also caps batch bytes below the cloud's body limit. */
export const MAX_EVENTS_PER_BATCH = 500;

export const IngestRequest = Type.Object(
  {
    gatewayId: GatewayId,
    events: Type.Array(OutboxEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }),
    /** The gateway's outbox as it sends this batch: the fleet view shows who is behind. */
    backlog: Type.Optional(GatewayBacklog),
    /**
     * Events the gateway set aside after the cloud refused them for their content (absent when
     * none). The cloud shows them in its gap and applies later events without waiting for them.
     */
    setAside: Type.Optional(Type.Array(SetAsideEvent, { maxItems: MAX_SET_ASIDE_PER_BATCH })),
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
    /**
     * Highest seq with every seq up to it either stored here or reported set aside by the gateway:
     * what the gateway need not send again (its set-aside events it keeps). Absent when it equals
     * ackedSeq, as it does unless set-aside events leave a gap (and from clouds before them).
     */
    settledSeq: Type.Optional(Type.Integer({ minimum: 0 })),
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
