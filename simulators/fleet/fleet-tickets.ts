import { monotonicFactory } from 'ulidx';
import {
  DEFAULT_SLA_HOURS,
  type Fault,
  type OutboxEventType,
  type Severity,
  type Ticket,
} from '../../shared/schema/index.js';

const ulid = monotonicFactory();

/** What a simulated gateway's rules raise: the shape of the shipped rules' tickets, with plausible values. */
const PROBLEMS: readonly {
  fault: Fault;
  ruleId: string;
  metric: string;
  unit: string;
  threshold: number;
  sop: string;
}[] = [
  {
    fault: 'threshold',
    ruleId: 'velocity-rms-zone-d',
    metric: 'velocityRmsMmS',
    unit: 'mm/s',
    threshold: 4.5,
    sop: 'SOP-VIB-01',
  },
  {
    fault: 'outer_race',
    ruleId: 'bearing-outer-race',
    metric: 'bpfoEnvelopeG',
    unit: 'g',
    threshold: 0.05,
    sop: 'SOP-BRG-02',
  },
  {
    fault: 'unbalance',
    ruleId: 'running-speed-1x',
    metric: 'order1xMmS',
    unit: 'mm/s',
    threshold: 2.8,
    sop: 'SOP-VIB-03',
  },
  {
    fault: 'overheating',
    ruleId: 'bearing-temperature',
    metric: 'bearingTempC',
    unit: '°C',
    threshold: 85,
    sop: 'SOP-TMP-01',
  },
];

const PRIORITY: Record<Severity, Ticket['priority']> = {
  critical: 'P1',
  high: 'P2',
  medium: 'P3',
  low: 'P4',
};

/** A stable 16-hex "rule version" per rule id, as the edge derives from the rule file's content. */
const ruleVersion = (ruleId: string): string => {
  let h = 0x811c9dc5;
  for (const c of ruleId) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (h.toString(16).padStart(8, '0') + 'f1ee7000').slice(0, 16);
};

/**
 * One asset's ticket life on a simulated gateway: opened, updated while the condition holds
 * (occurrences and values grow), cleared, then a new ticket on the next occurrence. Only the
 * ticket-manager's outcome is imitated, not its rules: the load is the events, not the decisions.
 */
export class AssetTicketCycle {
  private open?: Ticket;
  private cleared?: string;

  constructor(
    private readonly gatewayId: string,
    private readonly site: string,
    private readonly assetId: string,
    private readonly random: () => number,
  ) {}

  /** The next event for this asset at `nowMs`. */
  next(nowMs: number): { type: OutboxEventType; ticket: Ticket } {
    const now = new Date(nowMs).toISOString();
    if (!this.open) {
      this.open = this.raise(nowMs);
      return { type: 'ticket.opened', ticket: this.open };
    }
    // About one update in six clears: tickets live a few events, as a fault that comes and goes.
    if (this.random() < 1 / 6) {
      const ticket: Ticket = { ...this.open, condition: 'cleared', lastSeen: now, clearedAt: now };
      this.cleared = ticket.id;
      this.open = undefined;
      return { type: 'ticket.cleared', ticket };
    }
    const trigger = this.open.evidence.triggeringValues[0]!;
    const value = Number((Number(trigger.value) * (1 + this.random() * 0.05)).toFixed(3));
    this.open = {
      ...this.open,
      occurrences: this.open.occurrences + 1,
      lastSeen: now,
      evidence: {
        ...this.open.evidence,
        windowStart: new Date(nowMs - 1000).toISOString(),
        windowEnd: now,
        triggeringValues: [{ ...trigger, value }],
        reasoning: [
          `${trigger.metric} = ${value} ${trigger.unit ?? ''} ${trigger.comparison} ${trigger.threshold}`,
        ],
      },
    };
    return { type: 'ticket.updated', ticket: this.open };
  }

  private raise(nowMs: number): Ticket {
    const now = new Date(nowMs).toISOString();
    const problem = PROBLEMS[Math.floor(this.random() * PROBLEMS.length)]!;
    const severity: Severity = this.random() < 0.2 ? 'critical' : this.random() < 0.5 ? 'high' : 'medium';
    const value = Number((problem.threshold * (1.1 + this.random() * 0.6)).toFixed(3));
    return {
      id: ulid(nowMs),
      gatewayId: this.gatewayId,
      site: this.site,
      assetId: this.assetId,
      fault: problem.fault,
      severity,
      priority: PRIORITY[severity],
      dueAt: new Date(nowMs + DEFAULT_SLA_HOURS[severity] * 3_600_000).toISOString(),
      status: 'new',
      condition: 'active',
      title: `${this.assetId}: ${problem.metric} above ${problem.threshold} ${problem.unit}`,
      summary: `${problem.metric} ${value} ${problem.unit} exceeds the rule threshold ${problem.threshold} ${problem.unit}`,
      suggestedAction: problem.sop,
      rule: { id: problem.ruleId, version: ruleVersion(problem.ruleId) },
      evidence: {
        triggeringValues: [
          {
            metric: problem.metric,
            value,
            threshold: problem.threshold,
            comparison: '>',
            unit: problem.unit,
          },
        ],
        windowStart: new Date(nowMs - 1000).toISOString(),
        windowEnd: now,
        channel: 'de-accel',
        confidence: Number((0.6 + this.random() * 0.4).toFixed(2)),
        reasoning: [`${problem.metric} = ${value} ${problem.unit} > ${problem.threshold} ${problem.unit}`],
      },
      ...(this.cleared ? { previousTicketId: this.cleared } : {}),
      occurrences: 1,
      firstSeen: now,
      lastSeen: now,
    };
  }
}
