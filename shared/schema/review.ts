import { type Static, Type } from '@sinclair/typebox';
import { GatewayId, SetAsideEvent } from './outbox-event.js';
import { Ticket, TicketId, TicketStatus } from './ticket.js';

const IsoTime = Type.String({ format: 'date-time' });

/** How an engineer judged a ticket when closing it out: the ground truth for rule quality. */
export const OUTCOMES = ['confirmed', 'false_positive', 'inconclusive'] as const;
export const Outcome = Type.Union(OUTCOMES.map((o) => Type.Literal(o)));
export type Outcome = Static<typeof Outcome>;

/** A failure mode code: our fault vocabulary or the plant's own (e.g. ISO 14224 codes like VIB, OHE). */
export const FailureMode = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,32}$' });

export const CloseOut = Type.Object(
  {
    outcome: Outcome,
    /** Required when the outcome is confirmed. */
    failureMode: Type.Optional(FailureMode),
    actionTaken: Type.String({ minLength: 3, maxLength: 4000 }),
    /**
     * When the machine failed (or the failure was found): the end of a rule's lead time. Not
     * defaulted: without it the failure time is unknown and the ticket counts in no lead-time figure.
     */
    failureAt: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);
export type CloseOut = Static<typeof CloseOut>;

export const TransitionRequest = Type.Object(
  {
    to: TicketStatus,
    comment: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    /** The structured close-out; required to resolve. */
    feedback: Type.Optional(CloseOut),
    /** The ticket this one repeats; required for `duplicate`. */
    duplicateOf: Type.Optional(TicketId),
    /**
     * Resolving a ticket whose condition is still active at the edge must say so (else 409
     * PW_CONDITION_ACTIVE); the close-out then records `resolvedWhileActive`.
     */
    confirmActive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type TransitionRequest = Static<typeof TransitionRequest>;

export const AssignRequest = Type.Object(
  { assignee: Type.Union([Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' }), Type.Null()]) },
  { additionalProperties: false },
);
export type AssignRequest = Static<typeof AssignRequest>;

export const CommentRequest = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 4000 }) },
  { additionalProperties: false },
);

export const TicketComment = Type.Object({
  id: Type.Integer(),
  at: IsoTime,
  author: Type.String(),
  text: Type.String(),
});
export type TicketComment = Static<typeof TicketComment>;

export const AUDIT_ACTIONS = [
  'opened',
  'cleared',
  'transition',
  'assign',
  'escalate',
  'comment',
  'work_order',
  'imported',
  /** The edge raised the severity, or brought the predicted failure closer. */
  'severity_raised',
  /** Escalation stopped (the condition cleared while the ticket was new) or resumed. */
  'escalation_paused',
  'escalation_resumed',
] as const;
export const AuditEntry = Type.Object({
  at: IsoTime,
  /** A username, or `gateway:<id>` for what the edge did. */
  actor: Type.String(),
  action: Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a))),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const WorkOrderLink = Type.Object({
  /** The connector that created it, e.g. `rest` or `csv`. */
  system: Type.String(),
  externalId: Type.String(),
  url: Type.Optional(Type.String()),
  linkedAt: IsoTime,
});
export type WorkOrderLink = Static<typeof WorkOrderLink>;

/** The close-out as stored: the engineer's, with what the cloud noted when it was given. */
export const StoredCloseOut = Type.Composite([
  CloseOut,
  Type.Object({
    /** Resolved while the condition was still active at the edge (the engineer confirmed it). */
    resolvedWhileActive: Type.Optional(Type.Boolean()),
  }),
]);
export type StoredCloseOut = Static<typeof StoredCloseOut>;

/** A ticket as engineers see it: the edge's ticket with the cloud-owned review fields. */
export const TicketView = Type.Composite([
  Ticket,
  Type.Object({
    dueAt: IsoTime,
    overdue: Type.Boolean(),
    assignee: Type.Optional(Type.String()),
    closeOut: Type.Optional(StoredCloseOut),
    duplicateOf: Type.Optional(TicketId),
    /** Last change by an engineer. */
    reviewedAt: Type.Optional(IsoTime),
    /**
     * Raised while its gateway was cut off: the cloud first saw it more than 10 minutes after it
     * opened. History to review, not an alarm to act on now.
     */
    historical: Type.Optional(Type.Boolean()),
    /** The work order a CMMS holds for this ticket, stored back when it was exported. */
    workOrder: Type.Optional(WorkOrderLink),
  }),
]);
export type TicketView = Static<typeof TicketView>;

export const TicketDetail = Type.Composite([
  TicketView,
  Type.Object({
    comments: Type.Array(TicketComment),
    audit: Type.Array(AuditEntry),
    /** The moves this user may make now (none for a viewer): what a console offers. */
    allowedTransitions: Type.Array(TicketStatus),
  }),
]);
export type TicketDetail = Static<typeof TicketDetail>;

export const TicketPage = Type.Object({
  tickets: Type.Array(TicketView),
  nextCursor: Type.Optional(Type.String()),
});
export type TicketPage = Static<typeof TicketPage>;

/** Per rule version: how often it fired and how engineers judged it. */
export const RuleTrackRecord = Type.Object({
  ruleId: Type.String(),
  ruleVersion: Type.String(),
  fired: Type.Integer(),
  open: Type.Integer(),
  confirmed: Type.Integer(),
  falsePositives: Type.Integer(),
  inconclusive: Type.Integer(),
  duplicates: Type.Integer(),
  /** confirmed / (confirmed + false positives); absent before any judgement. */
  precision: Type.Optional(Type.Number()),
  /**
   * Median time from the ticket's opening to the failure, over the confirmed tickets whose failure
   * time was given (`leadTimeSamples` of them); absent when none was.
   */
  medianLeadTimeMs: Type.Optional(Type.Number()),
  leadTimeSamples: Type.Optional(Type.Integer({ description: 'confirmed tickets with a failure time' })),
  predicted: Type.Integer({ description: 'tickets raised by a trend prediction' }),
  lastFiredAt: Type.Optional(IsoTime),
});
export type RuleTrackRecord = Static<typeof RuleTrackRecord>;

/** What a gateway reports about its own outbox with each batch. */
export const GatewayBacklog = Type.Object(
  {
    pending: Type.Integer({ minimum: 0 }),
    lastSeq: Type.Integer({ minimum: 0 }),
    oldestPendingAgeMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type GatewayBacklog = Static<typeof GatewayBacklog>;

export const GatewayView = Type.Object({
  gatewayId: GatewayId,
  lastSeen: Type.Optional(IsoTime),
  ackedSeq: Type.Integer(),
  eventsReceived: Type.Integer(),
  duplicatesIgnored: Type.Integer(),
  /** Events held because of a missing seq, and the first missing seq. */
  gap: Type.Optional(Type.Object({ firstMissingSeq: Type.Integer(), heldEvents: Type.Integer() })),
  /** Events the gateway set aside (refused here for their content) and has not resent yet, by seq. */
  setAside: Type.Optional(Type.Array(SetAsideEvent)),
  /** The gateway's own count of events not yet acknowledged, as of its last batch. */
  backlog: Type.Optional(GatewayBacklog),
});
export type GatewayView = Static<typeof GatewayView>;
