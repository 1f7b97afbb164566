import { monotonicFactory } from 'ulidx';
import type {
  Evidence,
  OutboxEvent,
  OutboxEventType,
  Priority,
  Severity,
  Ticket,
} from '../../shared/schema/index.js';
import { SEVERITIES } from '../../shared/schema/index.js';
import { packageVersion } from '../../shared/paths.js';
import { isoTime } from '../../shared/time.js';
import type { EdgeConfig } from '../config.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RuleOutcome } from '../rules/rule-engine.js';

export interface TicketManagerOptions {
  gatewayId: string;
  site: string;
  outbox: Outbox;
  /** While a problem persists, its ticket is re-sent at most this often (occurrences, latest values). */
  updateIntervalMs: number;
  /** Time allowed per severity: the ticket's due date. */
  slaMs: Record<Severity, number>;
  agentVersion: string;
  configHash: string;
  now?: () => number;
}

/** The ticket manager of an agent: its gateway, site, service levels and the version that raises tickets. */
export function ticketManagerFor(
  config: Pick<EdgeConfig, 'gatewayId' | 'site' | 'tickets' | 'configHash'>,
  outbox: Outbox,
): TicketManager {
  return new TicketManager({
    gatewayId: config.gatewayId,
    site: config.site,
    outbox,
    updateIntervalMs: config.tickets.updateIntervalMs,
    slaMs: config.tickets.slaMs,
    agentVersion: packageVersion(),
    configHash: config.configHash,
  });
}

/**
 * One open ticket per problem: an asset and a fault. Generic `threshold` rules are a problem each
 * (two unrelated thresholds are two problems), and a sensor fault is per channel (each sensor is
 * its own repair).
 */
export function problemKey(assetId: string, fault: string, ruleId: string, channel: string): string {
  if (fault === 'threshold') return `${assetId}|threshold|${ruleId}`;
  if (fault === 'sensor_fault') return `${assetId}|sensor_fault|${channel}`;
  return `${assetId}|${fault}`;
}

const PRIORITY: Record<Severity, Priority> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4' };
const higher = (a: Severity, b: Severity): boolean => SEVERITIES.indexOf(a) > SEVERITIES.indexOf(b);

/** Turns rule outcomes into ticket events, committing each event with the ticket state it changes. */
export class TicketManager {
  private readonly ulid = monotonicFactory();
  private readonly lastSent = new Map<string, number>();
  /** Open tickets as last seen, ahead of the outbox between throttled updates. */
  private readonly latest = new Map<string, Ticket>();
  private readonly now: () => number;

  constructor(private readonly options: TicketManagerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Open tickets survive restarts in the outbox database; the rule engine is told which rules already fire. */
  openTickets(): Ticket[] {
    return this.options.outbox.openTickets();
  }

  apply(outcome: RuleOutcome): OutboxEvent | undefined {
    const { rule, assetId, channel } = outcome;
    const key = problemKey(assetId, rule.spec.fault, rule.spec.id, channel);
    const open = this.latest.get(key) ?? this.options.outbox.openTicket(key);
    if (outcome.kind === 'clear') {
      if (!open) return undefined;
      const cleared: Ticket = {
        ...open,
        condition: 'cleared',
        lastSeen: isoTime(outcome.windowEnd),
        clearedAt: isoTime(outcome.windowEnd),
        evidence: this.evidence(outcome, open.evidence),
      };
      return this.commit(key, 'ticket.cleared', cleared);
    }
    if (!open) return this.commit(key, 'ticket.opened', this.newTicket(outcome, key));

    const escalated = higher(outcome.severity, open.severity);
    const seen: Ticket = {
      ...open,
      occurrences: open.occurrences + 1,
      lastSeen: isoTime(outcome.windowEnd),
      ...(outcome.prediction ? { prediction: outcome.prediction } : {}),
      ...(escalated ? this.urgency(outcome.severity, outcome.windowEnd, open.dueAt) : {}),
    };
    // Between updates the ticket lives in memory only: writing it every window would cost an fsync
    // per window for a state the cloud does not see yet. A crash loses only those occurrence counts.
    // An escalation is news, though, and goes out at once.
    if (!escalated && this.now() - (this.lastSent.get(key) ?? 0) < this.options.updateIntervalMs) {
      this.latest.set(key, seen);
      return undefined;
    }
    return this.commit(key, 'ticket.updated', { ...seen, evidence: this.evidence(outcome, open.evidence) });
  }

  /** The event and the open-ticket state it implies, in one transaction; memory follows only once committed. */
  private commit(key: string, type: OutboxEventType, ticket: Ticket): OutboxEvent {
    const outbox = this.options.outbox;
    const event = outbox.transaction(() => {
      if (type === 'ticket.cleared') outbox.clearOpenTicket(key, ticket.id);
      else outbox.saveOpenTicket(key, ticket);
      return outbox.append(type, ticket, isoTime(this.now()));
    });
    if (type === 'ticket.cleared') {
      this.latest.delete(key);
      this.lastSent.delete(key);
    } else {
      this.latest.set(key, ticket);
      this.lastSent.set(key, this.now());
    }
    return event;
  }

  /** Severity sets priority and due date; an escalation can only bring the due date forward. */
  private urgency(
    severity: Severity,
    fromMs: number,
    previousDue?: string,
  ): Pick<Ticket, 'severity' | 'priority' | 'dueAt'> {
    let due = fromMs + this.options.slaMs[severity];
    if (previousDue) due = Math.min(due, Date.parse(previousDue));
    return { severity, priority: PRIORITY[severity], dueAt: isoTime(due) };
  }

  private newTicket(outcome: RuleOutcome, key: string): Ticket {
    const { rule } = outcome;
    const evidence = this.evidence(outcome);
    const previousTicketId = this.options.outbox.clearedTicketId(key);
    return {
      id: this.ulid(this.now()),
      gatewayId: this.options.gatewayId,
      site: this.options.site,
      assetId: outcome.assetId,
      fault: rule.spec.fault,
      ...this.urgency(outcome.severity, outcome.windowEnd),
      status: 'new',
      condition: 'active',
      title: titleOf(outcome, evidence),
      summary: rule.spec.summary ?? rule.spec.title,
      suggestedAction: rule.spec.action,
      rule: { id: rule.spec.id, version: rule.version },
      evidence,
      ...(outcome.prediction ? { prediction: outcome.prediction } : {}),
      ...(previousTicketId ? { previousTicketId } : {}),
      occurrences: 1,
      firstSeen: isoTime(outcome.since ?? outcome.windowStart),
      lastSeen: isoTime(outcome.windowEnd),
    };
  }

  private evidence(outcome: RuleOutcome, previous?: Evidence): Evidence {
    const found = outcome.evidence();
    const waveform = found.waveform;
    const finding = waveform?.findings.find((f) => f.fault === outcome.rule.spec.fault);
    // A clear keeps the plots that raised the ticket: they are what the engineer needs to judge it.
    const plots =
      outcome.kind === 'clear' && previous
        ? pick(previous, ['spectrum', 'envelopeSpectrum', 'finding'])
        : {
            ...(waveform ? { spectrum: waveform.spectrum } : {}),
            ...(waveform?.envelopeSpectrum ? { envelopeSpectrum: waveform.envelopeSpectrum } : {}),
            ...(finding ? { finding } : {}),
          };
    return {
      triggeringValues: found.triggeringValues,
      windowStart: isoTime(outcome.windowStart),
      windowEnd: isoTime(outcome.windowEnd),
      channel: outcome.channel,
      ...plots,
      ...(found.confidence !== undefined ? { confidence: found.confidence } : {}),
      reasoning: found.reasoning,
      agentVersion: this.options.agentVersion,
      configHash: this.options.configHash,
    };
  }
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}

const TITLE_MAX = 200;

function titleOf(outcome: RuleOutcome, evidence: Evidence): string {
  const first = evidence.triggeringValues[0];
  const unit = first?.unit ? ` ${first.unit}` : '';
  const detail = outcome.prediction
    ? ` (ETA ${outcome.prediction.eta.slice(0, 16).replace('T', ' ')} UTC)`
    : first?.metric.endsWith('isoZone')
      ? ` (zone ${first.value})`
      : first
        ? ` (${first.metric} ${first.value}${unit} ${first.comparison} ${first.threshold}${unit})`
        : '';
  const title = `${outcome.assetId}: ${outcome.rule.spec.title}${detail}`;
  return title.length <= TITLE_MAX ? title : `${title.slice(0, TITLE_MAX - 1)}…`;
}
