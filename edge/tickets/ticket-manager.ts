import { monotonicFactory } from 'ulidx';
import type { OutboxEvent, OutboxEventType, SpectrumSnapshot, Ticket } from '../../shared/schema/index.js';
import { isoTime } from '../../shared/time.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RuleOutcome } from '../rules/threshold-evaluator.js';

export interface TicketManagerOptions {
  gatewayId: string;
  site: string;
  outbox: Outbox;
  /** While a problem persists, its ticket is re-sent at most this often (occurrences, latest values). */
  updateIntervalMs: number;
  now?: () => number;
}

/**
 * One open ticket per problem: an asset and a fault, or for generic `threshold` rules an asset and
 * the rule (two unrelated threshold rules are two problems).
 */
export const problemKey = (assetId: string, fault: string, ruleId: string): string =>
  fault === 'threshold' ? `${assetId}|threshold|${ruleId}` : `${assetId}|${fault}`;

const round = (v: number): number => Number(v.toPrecision(4));

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

  /** Open tickets survive restarts in the outbox database; the evaluator is told which rules already fire. */
  openTickets(): Ticket[] {
    return this.options.outbox.openTickets();
  }

  apply(outcome: RuleOutcome, spectrum: SpectrumSnapshot): OutboxEvent | undefined {
    const { rule, features } = outcome;
    const key = problemKey(features.assetId, rule.spec.fault, rule.spec.id);
    const open = this.latest.get(key) ?? this.options.outbox.openTicket(key);
    if (outcome.kind === 'clear') {
      if (!open) return undefined;
      const cleared: Ticket = {
        ...open,
        condition: 'cleared',
        lastSeen: isoTime(features.windowEnd),
        clearedAt: isoTime(features.windowEnd),
        evidence: this.evidence(outcome, spectrum, open),
      };
      return this.commit(key, 'ticket.cleared', cleared);
    }
    if (!open) return this.commit(key, 'ticket.opened', this.newTicket(outcome, spectrum));
    const updated: Ticket = {
      ...open,
      occurrences: open.occurrences + 1,
      lastSeen: isoTime(features.windowEnd),
      evidence: this.evidence(outcome, spectrum, open),
    };
    // Between updates the ticket lives in memory only: writing it every window would cost an fsync
    // per window for a state the cloud does not see yet. A crash loses only those occurrence counts.
    if (this.now() - (this.lastSent.get(key) ?? 0) < this.options.updateIntervalMs) {
      this.latest.set(key, updated);
      return undefined;
    }
    return this.commit(key, 'ticket.updated', updated);
  }

  /** The event and the open-ticket state it implies, in one transaction; memory follows only once committed. */
  private commit(key: string, type: OutboxEventType, ticket: Ticket): OutboxEvent {
    const outbox = this.options.outbox;
    const event = outbox.transaction(() => {
      if (type === 'ticket.cleared') outbox.removeOpenTicket(key);
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

  private newTicket(outcome: RuleOutcome, spectrum: SpectrumSnapshot): Ticket {
    const { rule, features, value } = outcome;
    const unit = rule.spec.unit ? ` ${rule.spec.unit}` : '';
    return {
      id: this.ulid(this.now()),
      gatewayId: this.options.gatewayId,
      site: this.options.site,
      assetId: features.assetId,
      fault: rule.spec.fault,
      severity: rule.spec.severity,
      status: 'new',
      condition: 'active',
      title: `${features.assetId}: ${rule.spec.title} (${rule.spec.metric} ${round(value)}${unit} > ${rule.spec.above}${unit})`,
      summary: rule.spec.summary ?? rule.spec.title,
      suggestedAction: rule.spec.action,
      rule: { id: rule.spec.id, version: rule.version },
      evidence: this.evidence(outcome, spectrum),
      occurrences: 1,
      firstSeen: isoTime(outcome.kind === 'fire' ? outcome.since : features.windowStart),
      lastSeen: isoTime(features.windowEnd),
    };
  }

  private evidence(outcome: RuleOutcome, spectrum: SpectrumSnapshot, previous?: Ticket): Ticket['evidence'] {
    const { rule, features, value } = outcome;
    const unit = rule.spec.unit ? ` ${rule.spec.unit}` : '';
    const reasoning =
      outcome.kind === 'clear'
        ? [
            `${rule.spec.metric} = ${round(value)}${unit} fell below the clear level ${rule.clearBelow}${unit} on channel ${features.channel}`,
          ]
        : [
            `${rule.spec.metric} = ${round(value)}${unit} > ${rule.spec.above}${unit} on channel ${features.channel}`,
            rule.pendingMs > 0
              ? `held for at least the pending period of ${rule.spec.for} before the ticket was raised`
              : 'raised on the first window above the threshold (no pending period)',
            `rule ${rule.spec.id} version ${rule.version} (${rule.file.split('/').pop()})`,
          ];
    return {
      triggeringValues: [
        {
          metric: rule.spec.metric,
          value: round(value),
          threshold: outcome.kind === 'clear' ? rule.clearBelow : rule.spec.above,
          comparison: outcome.kind === 'clear' ? '<' : '>',
          ...(rule.spec.unit ? { unit: rule.spec.unit } : {}),
        },
      ],
      windowStart: isoTime(features.windowStart),
      windowEnd: isoTime(features.windowEnd),
      channel: features.channel,
      spectrum: outcome.kind === 'clear' ? (previous?.evidence.spectrum ?? spectrum) : spectrum,
      reasoning,
    };
  }
}
