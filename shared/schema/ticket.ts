import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId } from './reading.js';

export const FAULTS = [
  'outer_race',
  'inner_race',
  'rolling_element',
  'cage',
  'unbalance',
  'misalignment',
  'looseness',
  'overheating',
  'threshold',
  'sensor_fault',
] as const;
export const Fault = Type.Union(FAULTS.map((f) => Type.Literal(f)));
export type Fault = Static<typeof Fault>;

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
export type Severity = Static<typeof Severity>;

/** The engineer's lifecycle; the edge always raises tickets as `new`, the cloud moves them on. */
export const TICKET_STATUSES = [
  'new',
  'acknowledged',
  'in_progress',
  'resolved',
  'closed',
  'false_positive',
  'duplicate',
] as const;
export const TicketStatus = Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)));
export type TicketStatus = Static<typeof TicketStatus>;

/** Whether the condition that raised the ticket still holds at the edge. */
export const TicketCondition = Type.Union([Type.Literal('active'), Type.Literal('cleared')]);
export type TicketCondition = Static<typeof TicketCondition>;

const IsoTime = Type.String({ format: 'date-time' });

export const TriggeringValue = Type.Object(
  {
    metric: Type.String(),
    value: Type.Number(),
    threshold: Type.Number(),
    comparison: Type.Union([Type.Literal('>'), Type.Literal('<')]),
    unit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type TriggeringValue = Static<typeof TriggeringValue>;

/** A decimated amplitude spectrum: enough to plot and mark bands, small enough to replicate. */
export const SpectrumSnapshot = Type.Object(
  {
    binHz: Type.Number({ exclusiveMinimum: 0 }),
    unit: Type.String(),
    amplitudes: Type.Array(Type.Number(), { maxItems: 4096 }),
  },
  { additionalProperties: false },
);
export type SpectrumSnapshot = Static<typeof SpectrumSnapshot>;

export const Evidence = Type.Object(
  {
    triggeringValues: Type.Array(TriggeringValue),
    windowStart: IsoTime,
    windowEnd: IsoTime,
    channel: ChannelId,
    spectrum: Type.Optional(SpectrumSnapshot),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    reasoning: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type Evidence = Static<typeof Evidence>;

export const RuleRef = Type.Object(
  { id: Type.String({ minLength: 1 }), version: Type.String({ pattern: '^[0-9a-f]{12,64}$' }) },
  { additionalProperties: false },
);

export const Prediction = Type.Object(
  {
    metric: Type.String(),
    threshold: Type.Number(),
    eta: IsoTime,
    intervalStart: IsoTime,
    intervalEnd: IsoTime,
  },
  { additionalProperties: false },
);

/** ULIDs: time-ordered, so sorting by id is sorting by creation. */
export const TicketId = Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', description: 'ULID' });

export const Ticket = Type.Object(
  {
    id: TicketId,
    gatewayId: Type.String({ minLength: 1, maxLength: 64 }),
    site: Type.String({ minLength: 1, maxLength: 64 }),
    assetId: AssetId,
    fault: Fault,
    severity: Severity,
    status: TicketStatus,
    condition: TicketCondition,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    summary: Type.String({ maxLength: 4000 }),
    suggestedAction: Type.String({ maxLength: 4000 }),
    rule: RuleRef,
    evidence: Evidence,
    prediction: Type.Optional(Prediction),
    occurrences: Type.Integer({ minimum: 1 }),
    firstSeen: IsoTime,
    lastSeen: IsoTime,
    clearedAt: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);
export type Ticket = Static<typeof Ticket>;
