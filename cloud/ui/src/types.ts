/**
 * The messages the console reads and sends, as the browser sees them. The schema module
 * (shared/schema) cannot be part of this build: it lives outside `rootDir` and carries TypeBox
 * values. test/console.test.ts assigns each schema type to its type here, so `npm run typecheck`
 * fails the moment the two drift apart; only the fields the console uses are listed.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Priority = 'P1' | 'P2' | 'P3' | 'P4';
export type Role = 'viewer' | 'engineer' | 'admin';
export type Outcome = 'confirmed' | 'false_positive' | 'inconclusive';
export type TicketStatus =
  'new' | 'acknowledged' | 'in_progress' | 'resolved' | 'closed' | 'false_positive' | 'duplicate';

export interface UserView {
  username: string;
  role: Role;
  sites: 'all' | string[];
}

export interface LoginReply {
  token: string;
  expiresAt: string;
  user: UserView;
}

export interface SpectrumMark {
  label: string;
  hz: number;
}

export interface SpectrumSnapshot {
  binHz: number;
  unit: string;
  amplitudes: number[];
  marks?: SpectrumMark[];
}

export interface TriggeringValue {
  metric: string;
  value: number | string;
  threshold: number | string;
  comparison: string;
  unit?: string;
  /** The telemetry series that shows it (absent from older gateways' tickets): trend-series.ts. */
  series?: TrendSeriesRef;
}

export interface TrendSeriesRef {
  channel: string;
  field: string;
  unit?: string;
  threshold?: number;
}

export interface Prediction {
  metric: string;
  threshold: number;
  eta: string;
  intervalStart: string;
  intervalEnd?: string;
  model?: 'linear' | 'exponential';
  level?: number;
  ratePerDay?: number;
  points?: number;
}

export interface CloseOut {
  outcome: Outcome;
  failureMode?: string;
  actionTaken: string;
  failureAt?: string;
  /** Set by the server: resolved while the condition was still active at the edge. */
  resolvedWhileActive?: boolean;
}

/** One (rule, channel) pair behind a ticket; a folded one is a generic condition a diagnosis explains. */
export interface Contributor {
  rule: { id: string; version: string };
  channel: string;
  fault: string;
  severity: Severity;
  active: boolean;
  summary: string;
  triggeringValues: TriggeringValue[];
  reasoning: string[];
  since: string;
  lastSeen: string;
  clearedAt?: string;
  folded?: { reason: string; fromTicketId?: string };
}

export interface TicketView {
  id: string;
  gatewayId: string;
  site: string;
  assetId: string;
  fault: string;
  severity: Severity;
  status: TicketStatus;
  condition: 'active' | 'cleared';
  title: string;
  summary: string;
  suggestedAction: string;
  rule: { id: string; version: string };
  evidence: {
    triggeringValues: TriggeringValue[];
    windowStart: string;
    windowEnd: string;
    channel: string;
    spectrum?: SpectrumSnapshot;
    envelopeSpectrum?: SpectrumSnapshot;
    confidence?: number;
    reasoning: string[];
  };
  prediction?: Prediction;
  priority?: Priority;
  previousTicketId?: string;
  contributors?: Contributor[];
  foldedInto?: string;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
  clearedAt?: string;
  dueAt: string;
  overdue: boolean;
  assignee?: string;
  closeOut?: CloseOut;
  duplicateOf?: string;
  reviewedAt?: string;
  historical?: boolean;
  workOrder?: { system: string; externalId: string; url?: string; linkedAt: string };
}

export interface TicketComment {
  id: number;
  at: string;
  author: string;
  text: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action:
    | 'opened'
    | 'cleared'
    | 'transition'
    | 'assign'
    | 'escalate'
    | 'comment'
    | 'work_order'
    | 'imported'
    | 'severity_raised'
    | 'escalation_paused'
    | 'escalation_resumed';
  detail: Record<string, unknown>;
}

export interface TicketDetail extends TicketView {
  comments: TicketComment[];
  audit: AuditEntry[];
  /** The moves this user may make now, as the server decides (none for a viewer). */
  allowedTransitions: TicketStatus[];
}

export interface TicketPage {
  tickets: TicketView[];
  nextCursor?: string;
}

export interface TransitionRequest {
  to: TicketStatus;
  comment?: string;
  feedback?: CloseOut;
  duplicateOf?: string;
  /** Needed to resolve a ticket whose condition is still active at the edge. */
  confirmActive?: boolean;
}

export interface RuleTrackRecord {
  ruleId: string;
  ruleVersion: string;
  fired: number;
  open: number;
  confirmed: number;
  falsePositives: number;
  inconclusive: number;
  duplicates: number;
  precision?: number;
  medianLeadTimeMs?: number;
  leadTimeSamples?: number;
  predicted: number;
  lastFiredAt?: string;
}

export interface GatewayView {
  gatewayId: string;
  lastSeen?: string;
  ackedSeq: number;
  eventsReceived: number;
  duplicatesIgnored: number;
  gap?: { firstMissingSeq: number; heldEvents: number };
  /** Events the gateway set aside after this cloud refused them for their content. */
  setAside?: { seq: number; type: string; ticketId: string; reason: string; attempts: number; at: string }[];
  backlog?: { pending: number; lastSeq: number; oldestPendingAgeMs?: number };
}

export interface TrendPoint {
  ts: number;
  value: number;
}

export interface TrendReply {
  assetId: string;
  metric: string;
  channel?: string;
  from: string;
  to: string;
  bucketMs: number;
  points: TrendPoint[];
  source: 'influxdb' | 'store';
}

/** The server's error body: what the console shows next to the form that caused it. */
export interface ErrorReply {
  statusCode: number;
  error: string;
  code?: string;
  message: string;
}

// Routing (cloud/routing/routing-config.ts, routing-routes.ts): read by the on-call screen.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface RoutingShift {
  days: Weekday[];
  from: string;
  to: string;
  engineers: string[];
}

export interface RoutingSite {
  timezone: string;
  lead?: string;
  onCall?: RoutingShift[];
}

export interface RoutingRule {
  name: string;
  site?: string;
  assetGroup?: string;
  faults?: string[];
  minSeverity?: Severity;
  skill?: string;
  /** Only for severity raises from the edge. */
  raised?: boolean;
}

export interface RoutingConfig {
  engineers?: Record<string, { skills: string[] }>;
  assetGroups?: Record<string, string[]>;
  sites?: Record<string, RoutingSite>;
  rules?: RoutingRule[];
}

export interface EffectiveRouting {
  source: 'file' | 'api' | 'none';
  config: RoutingConfig;
  updatedAt?: string;
  updatedBy?: string;
}

export interface OnCallReply {
  site: string;
  at: string;
  timezone: string;
  /** Weekday and time at the site, e.g. `Tue 09:00`. */
  localTime: string;
  onCall: { engineer: string; shift: string }[];
  lead?: string;
}

// Notifications (cloud/notify/notify-config.ts, notification-routes.ts).

export type NotificationChannel =
  | { kind: 'email'; to: string; minSeverity?: Severity }
  | { kind: 'webhook'; url: string; secret?: string; minSeverity?: Severity }
  | { kind: 'mqtt'; topic: string; minSeverity?: Severity };

export interface NotificationPreferences {
  channels: NotificationChannel[];
  watch?: 'mine' | 'sites';
  quietHours?: { from: string; to: string; timezone?: string };
  digest?: Severity[];
}

export interface PreferencesReply {
  username: string;
  source: 'file' | 'api' | 'none';
  preferences: NotificationPreferences;
}

export interface NotificationView {
  id: number;
  username: string;
  /** Kind and address, e.g. `email:alice@plant.example`. */
  channel: string;
  ticket: { id: string; title: string; severity: Severity; site: string; assetId: string };
  change: string;
  state: string;
  reason: string;
  mode: 'single' | 'digest';
  status: 'pending' | 'sent' | 'failed';
  createdAt: string;
  deliverAfter: string;
  attempts: number;
  lastError?: string;
  sentAt?: string;
}

/** One administrative change (GET /api/v1/audit); secrets arrive as `********`. */
export interface AdminAuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

export interface AdminAuditPage {
  entries: AdminAuditEntry[];
  nextCursor?: string;
}

/** `GET /api/v1/tickets/:id/earlier-spectra` (spectra overlay on the ticket page). */
export interface EarlierSpectrum {
  ticketId: string;
  at: string;
  title: string;
  spectrum?: SpectrumSnapshot;
  envelopeSpectrum?: SpectrumSnapshot;
}

export interface EarlierSpectraReply {
  spectra: EarlierSpectrum[];
  baseline?: EarlierSpectrum;
}

// Maintenance report (GET /api/v1/reports/maintenance), for #/reports.

export type ReportBucket = 'day' | 'week' | 'month';
export type ReportTable = 'summary' | 'open' | 'buckets' | 'assets';

export interface DurationStats {
  count: number;
  meanMs?: number;
  medianMs?: number;
}

export interface Judgement {
  confirmed: number;
  falsePositives: number;
  precision?: number;
  medianLeadTimeMs?: number;
  leadTimeSamples: number;
}

export interface ReportBucketRow extends Judgement {
  start: string;
  end: string;
  opened: number;
  backlog: number;
}

export interface MaintenanceReport {
  from: string;
  to: string;
  asOf: string;
  bucket: ReportBucket;
  site?: string;
  open: number;
  overdue: number;
  openBySeverity: Record<Severity, number>;
  openBySite: ({ site: string; total: number } & Record<Severity, number>)[];
  acknowledge: DurationStats;
  repair: DurationStats;
  judgement: Judgement;
  buckets: ReportBucketRow[];
  topAssets: { assetId: string; site: string; tickets: number; open: number }[];
}

/* Plant overview (GET /api/v1/plant, GET /api/v1/assets/:assetId/health) */

/** Worst first; always shown in words as well as colour. */
export type HealthState = 'alarm' | 'watch' | 'healthy' | 'unknown';

export interface LatestReading {
  channel: string;
  value: number;
  at: string;
}

export interface AssetHealth {
  assetId: string;
  site: string;
  area: string;
  registered: boolean;
  name?: string;
  machineClass?: string;
  channels: string[];
  state: HealthState;
  reasons: string[];
  openTickets: number;
  highestOpenSeverity?: Severity;
  velocity?: { channel: string; valueMmS: number; at: string };
  isoZone?: { channel: string; zone: 'A' | 'B' | 'C' | 'D'; at: string };
  readings: LatestReading[];
  lastSeen?: string;
}

export type HealthCounts = Record<HealthState, number>;

export interface PlantReply {
  generatedAt: string;
  staleAfterHours: number;
  counts: HealthCounts;
  sites: { site: string; areas: { area: string; assets: AssetHealth[] }[] }[];
}

export interface AssetHealthReply {
  generatedAt: string;
  staleAfterHours: number;
  asset: AssetHealth;
}
