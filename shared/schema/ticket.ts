import { type Static, Type } from '@sinclair/typebox';
import { Finding } from './diagnosis.js';
import { Fault } from './fault.js';
import { AssetId, ChannelId } from './reading.js';

export { FAULTS, Fault } from './fault.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
export type Severity = Static<typeof Severity>;

/** Time to deal with a ticket when the site sets no SLA: the edge's default and the cloud's fallback. */
export const DEFAULT_SLA_HOURS: Record<Severity, number> = { critical: 8, high: 72, medium: 336, low: 720 };

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

export const COMPARISONS = ['>', '>=', '<', '<=', '==', '!='] as const;

/** P1 is the most urgent; derived at the edge from the severity, so sorting by it sorts by urgency. */
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const Priority = Type.Union(PRIORITIES.map((p) => Type.Literal(p)));
export type Priority = Static<typeof Priority>;

/**
 * The telemetry series that shows a triggering value over time (shared/trend-series.ts): `isoZone`
 * is drawn as `velocityRmsMmS` against the zone boundary, `finding.unbalance` as the field of that
 * name, a reading channel as its `value`. Named by the edge, which writes the telemetry.
 */
export const TrendSeriesRef = Type.Object(
  {
    channel: ChannelId,
    field: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.]{0,63}$' }),
    /** The series' own unit, when it differs from the value's (a zone letter drawn as mm/s). */
    unit: Type.Optional(Type.String({ maxLength: 32 })),
    /** The rule's threshold in the series' units (the zone C boundary in mm/s, say). */
    threshold: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type TrendSeriesRef = Static<typeof TrendSeriesRef>;

export const TriggeringValue = Type.Object(
  {
    metric: Type.String(),
    /** Numbers, or text for ISO zones. */
    value: Type.Union([Type.Number(), Type.String()]),
    threshold: Type.Union([Type.Number(), Type.String()]),
    comparison: Type.Union(COMPARISONS.map((c) => Type.Literal(c))),
    unit: Type.Optional(Type.String()),
    /** Absent from older gateways' tickets: the console then derives it the same way. */
    series: Type.Optional(TrendSeriesRef),
  },
  { additionalProperties: false },
);
export type TriggeringValue = Static<typeof TriggeringValue>;

export const SpectrumMark = Type.Object(
  { label: Type.String({ maxLength: 32 }), hz: Type.Number({ minimum: 0 }) },
  { additionalProperties: false },
);
export type SpectrumMark = Static<typeof SpectrumMark>;

/** A decimated amplitude spectrum: enough to plot and mark bands, small enough to replicate. */
export const SpectrumSnapshot = Type.Object(
  {
    binHz: Type.Number({ exclusiveMinimum: 0 }),
    unit: Type.String(),
    amplitudes: Type.Array(Type.Number(), { maxItems: 4096 }),
    /** Frequencies to mark on the plot: defect frequencies, running-speed orders. */
    marks: Type.Optional(Type.Array(SpectrumMark, { maxItems: 64 })),
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
    envelopeSpectrum: Type.Optional(SpectrumSnapshot),
    /** The diagnosis engine's finding behind a bearing or running-speed rule, with its line evidence. */
    finding: Type.Optional(Finding),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Which conditions held, in words: what an engineer reads first. */
    reasoning: Type.Array(Type.String()),
    agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
    /** Hash of the agent's configuration when the evidence was taken. */
    configHash: Type.Optional(Type.String({ maxLength: 64 })),
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
    /** Absent when the slowest plausible trend never reaches the threshold. */
    intervalEnd: Type.Optional(IsoTime),
    model: Type.Optional(Type.Union([Type.Literal('linear'), Type.Literal('exponential')])),
    /** The fitted trend's current level, in the metric's unit. */
    level: Type.Optional(Type.Number()),
    /** Linear: metric units per day; exponential: relative growth per day. */
    ratePerDay: Type.Optional(Type.Number()),
    points: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type Prediction = Static<typeof Prediction>;

/** ULIDs: time-ordered, so sorting by id is sorting by creation. */
export const TicketId = Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', description: 'ULID' });

/**
 * One (rule, channel) pair behind a ticket: several sensors or rules seeing one physical problem
 * share its ticket, each with its own latest evidence. A folded contributor is a generic condition
 * (an ISO zone, impulsive vibration) that a diagnosis on the same asset explains: it counts as
 * severity evidence of the diagnosed ticket instead of raising a ticket of its own.
 */
export const Contributor = Type.Object(
  {
    rule: RuleRef,
    channel: ChannelId,
    fault: Fault,
    severity: Severity,
    /** Whether this pair fires now; the ticket clears once none of its own contributors does. */
    active: Type.Boolean(),
    /** Its latest evidence in plant language, e.g. `de: zone D (7.9 mm/s)`. */
    summary: Type.String({ maxLength: 400 }),
    triggeringValues: Type.Array(TriggeringValue, { maxItems: 16 }),
    reasoning: Type.Array(Type.String(), { maxItems: 32 }),
    since: IsoTime,
    lastSeen: IsoTime,
    clearedAt: Type.Optional(IsoTime),
    folded: Type.Optional(
      Type.Object(
        {
          /** Why it belongs to this ticket, e.g. `explained by unbalance diagnosed on pump-1`. */
          reason: Type.String({ maxLength: 400 }),
          /** The ticket it had raised on its own before the diagnosis came, now cleared into this one. */
          fromTicketId: Type.Optional(TicketId),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Contributor = Static<typeof Contributor>;

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
    priority: Type.Optional(Priority),
    /** When the ticket should be dealt with: raised time plus the site's SLA for its severity. */
    dueAt: Type.Optional(IsoTime),
    /** The earlier ticket for the same problem, when this one is a recurrence after it cleared. */
    previousTicketId: Type.Optional(TicketId),
    /** Every (rule, channel) pair seen on this ticket, active or cleared; absent from older edges. */
    contributors: Type.Optional(Type.Array(Contributor, { maxItems: 64 })),
    /**
     * Set on a generic condition's ticket when a diagnosis on the same asset came to explain it: this
     * ticket is cleared and its condition lives on as a folded contributor of that one.
     */
    foldedInto: Type.Optional(TicketId),
    occurrences: Type.Integer({ minimum: 1 }),
    firstSeen: IsoTime,
    lastSeen: IsoTime,
    clearedAt: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);
export type Ticket = Static<typeof Ticket>;
