import { type Static, Type } from '@sinclair/typebox';

const IsoTime = Type.String({ format: 'date-time' });

/** How a maintenance report groups time: UTC days, ISO weeks (from Monday) or calendar months. */
export const REPORT_BUCKETS = ['day', 'week', 'month'] as const;
export const ReportBucket = Type.Union(REPORT_BUCKETS.map((b) => Type.Literal(b)));
export type ReportBucket = Static<typeof ReportBucket>;

const SeverityCounts = Type.Object({
  critical: Type.Integer(),
  high: Type.Integer(),
  medium: Type.Integer(),
  low: Type.Integer(),
});

/** Durations over the tickets that have one; mean and median absent when none has. */
export const DurationStats = Type.Object({
  count: Type.Integer({ description: 'tickets measured' }),
  meanMs: Type.Optional(Type.Number()),
  medianMs: Type.Optional(Type.Number()),
});
export type DurationStats = Static<typeof DurationStats>;

/** The track record's judgement over a set of tickets (the same definitions as the rules screen). */
export const Judgement = Type.Object({
  confirmed: Type.Integer(),
  falsePositives: Type.Integer(),
  /** confirmed / (confirmed + false positives); absent before any judgement. */
  precision: Type.Optional(Type.Number()),
  /** Median time from opening to the confirmed failure, over the failures whose time was given. */
  medianLeadTimeMs: Type.Optional(Type.Number()),
  leadTimeSamples: Type.Integer(),
});
export type Judgement = Static<typeof Judgement>;

export const ReportBucketRow = Type.Composite([
  Type.Object({
    start: IsoTime,
    /** Exclusive; the last bucket ends with the range. */
    end: IsoTime,
    /** Tickets opened in the bucket. */
    opened: Type.Integer(),
    /** Tickets open at the bucket's end (or now, for a bucket not over yet). */
    backlog: Type.Integer(),
  }),
  Judgement,
]);
export type ReportBucketRow = Static<typeof ReportBucketRow>;

/** A manager's view of maintenance over a range: backlog, response times, rule precision. */
export const MaintenanceReport = Type.Object({
  from: IsoTime,
  to: IsoTime,
  /** The moment the open counts describe: the range's end, or now when the range reaches past it. */
  asOf: IsoTime,
  bucket: ReportBucket,
  site: Type.Optional(Type.String()),
  open: Type.Integer(),
  /** Open and past their due date at asOf. */
  overdue: Type.Integer(),
  openBySeverity: SeverityCounts,
  openBySite: Type.Array(
    Type.Composite([Type.Object({ site: Type.String(), total: Type.Integer() }), SeverityCounts]),
  ),
  /** Opening to the first move out of `new` by a person, over the tickets opened in the range. */
  acknowledge: DurationStats,
  /** Opening to resolved, over the tickets opened in the range that are resolved or closed at asOf. */
  repair: DurationStats,
  judgement: Judgement,
  buckets: Type.Array(ReportBucketRow),
  /** Assets with the most tickets opened in the range, most first (at most 10). */
  topAssets: Type.Array(
    Type.Object({
      assetId: Type.String(),
      site: Type.String(),
      tickets: Type.Integer(),
      open: Type.Integer(),
    }),
  ),
});
export type MaintenanceReport = Static<typeof MaintenanceReport>;

/** The tables of a maintenance report one CSV each: `?table=`. */
export const REPORT_TABLES = ['summary', 'open', 'buckets', 'assets'] as const;
export const ReportTable = Type.Union(REPORT_TABLES.map((t) => Type.Literal(t)));
export type ReportTable = Static<typeof ReportTable>;
