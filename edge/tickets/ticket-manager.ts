import { monotonicFactory } from 'ulidx';
import type {
  Contributor,
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
import { dueDate } from '../../shared/urgency.js';
import type { EdgeConfig } from '../config.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RuleEvidence, RuleOutcome } from '../rules/rule-engine.js';

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
 * One open ticket per problem: an asset and a fault. Every rule × channel that sees the problem is
 * a contributor of that one ticket (see `Contributor` in shared/schema/ticket.ts). Generic `threshold` rules are a problem each
 * (two unrelated thresholds are two problems), and a sensor fault is per channel (each sensor is
 * its own repair).
 */
export function problemKey(assetId: string, fault: string, ruleId: string, channel: string): string {
  if (fault === 'threshold') return `${assetId}|threshold|${ruleId}`;
  if (fault === 'sensor_fault') return `${assetId}|sensor_fault|${channel}`;
  return `${assetId}|${fault}`;
}

const PRIORITY: Record<Severity, Priority> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4' };
const rank = (s: Severity): number => SEVERITIES.indexOf(s);
const higher = (a: Severity, b: Severity): boolean => rank(a) > rank(b);
const maxSeverity = (severities: Severity[], fallback: Severity): Severity =>
  severities.reduce((max, s) => (higher(s, max) ? s : max), severities[0] ?? fallback);

/** A (rule, channel) pair: one contributor of a ticket. */
const contributorKey = (ruleId: string, channel: string): string => `${ruleId}|${channel}`;
const keyOf = (c: Contributor): string => contributorKey(c.rule.id, c.channel);

/** Reasoning lines naming the folded conditions; rewritten on every change, so marked to be found again. */
const FOLDED_LINE = 'folded in: ';

/** An open ticket as the manager keeps it: ahead of the outbox between throttled updates. */
interface OpenProblem {
  key: string;
  ticket: Ticket;
  /** On a generic condition's own ticket: the diagnosed faults that fold it into theirs. */
  explainedBy?: readonly string[];
}

/** One ticket change an outcome leads to; `throttled` ones stay in memory until the next update is due. */
interface Change {
  problem: OpenProblem;
  type: OutboxEventType;
  throttled?: boolean;
}

/**
 * Contributors of a ticket; a ticket raised by an older agent has none stored, and its rule on its
 * channel is its one contributor.
 */
export function contributorsOf(ticket: Ticket): Contributor[] {
  if (ticket.contributors) return ticket.contributors;
  return [
    {
      rule: ticket.rule,
      channel: ticket.evidence.channel,
      fault: ticket.fault,
      severity: ticket.severity,
      active: ticket.condition === 'active',
      summary: `${ticket.evidence.channel}: ${ticket.title}`.slice(0, 400),
      triggeringValues: ticket.evidence.triggeringValues.slice(0, 16),
      reasoning: ticket.evidence.reasoning.slice(0, 32),
      since: ticket.firstSeen,
      lastSeen: ticket.lastSeen,
      ...(ticket.clearedAt ? { clearedAt: ticket.clearedAt } : {}),
    },
  ];
}

/** The (rule, channel) pairs firing on an open ticket: after a restart, the rule engine is told they fire. */
export function firingContributors(ticket: Ticket): { ruleId: string; channel: string }[] {
  return contributorsOf(ticket)
    .filter((c) => c.active)
    .map((c) => ({ ruleId: c.rule.id, channel: c.channel }));
}

/** Turns rule outcomes into ticket events, committing each event with the ticket state it changes. */
export class TicketManager {
  private readonly ulid = monotonicFactory();
  private readonly lastSent = new Map<string, number>();
  /** Open tickets by problem key, as last seen: read from the outbox at start, then kept here. */
  private readonly open = new Map<string, OpenProblem>();
  private readonly now: () => number;

  constructor(private readonly options: TicketManagerOptions) {
    this.now = options.now ?? Date.now;
    for (const row of options.outbox.openProblems()) {
      this.open.set(row.key, { ...row, ticket: { ...row.ticket, contributors: contributorsOf(row.ticket) } });
    }
  }

  /** Open tickets survive restarts in the outbox database; the rule engine is told which rules already fire. */
  openTickets(): Ticket[] {
    return [...this.open.values()].map((p) => p.ticket);
  }

  /**
   * The events an outcome leads to, committed in one transaction: usually none (a throttled
   * update) or one; two when a diagnosis folds a generic condition's ticket into its own.
   */
  apply(outcome: RuleOutcome): OutboxEvent[] {
    const { rule, assetId, channel } = outcome;
    if (rule.explainedBy.size > 0) {
      const host = this.hostFor(outcome);
      if (host) return this.commit(this.joinAsFolded(host, outcome));
    }
    const key = problemKey(assetId, rule.spec.fault, rule.spec.id, channel);
    const open = this.open.get(key);
    if (outcome.kind === 'clear') return open ? this.commit(this.contributorCleared(open, outcome)) : [];
    if (!open) return this.commit(this.opened(key, outcome));
    return this.commit(this.seen(open, outcome));
  }

  /**
   * The open diagnosed ticket that explains a generic condition on this asset: the one it is
   * folded into already, else (unless it clears) the earliest open one of a fault it names.
   */
  private hostFor(outcome: RuleOutcome): OpenProblem | undefined {
    const explainedBy = outcome.rule.explainedBy;
    const wanted = contributorKey(outcome.rule.spec.id, outcome.channel);
    // Every window of a generic condition asks (a zone rule: every waveform); one pass, no copies.
    const candidates: OpenProblem[] = [];
    for (const p of this.open.values())
      if (p.ticket.assetId === outcome.assetId && explainedBy.has(p.ticket.fault) && !p.explainedBy)
        candidates.push(p);
    if (candidates.length > 1) candidates.sort((a, b) => a.ticket.id.localeCompare(b.ticket.id));
    const hosting = candidates.find((p) =>
      p.ticket.contributors!.some((c) => c.active && keyOf(c) === wanted),
    );
    if (hosting || outcome.kind === 'clear') return hosting;
    return candidates[0];
  }

  /** A new problem: its ticket, and the generic conditions' tickets its diagnosis explains folded into it. */
  private opened(key: string, outcome: RuleOutcome): Change[] {
    const { rule } = outcome;
    const found = outcome.evidence();
    const problem: OpenProblem = {
      key,
      ticket: this.newTicket(outcome, key, found),
      ...(rule.explainedBy.size > 0 ? { explainedBy: [...rule.explainedBy] } : {}),
    };
    const folds = this.foldSymptoms(problem, outcome.windowEnd);
    return [{ problem: folds.host, type: 'ticket.opened' }, ...folds.changes];
  }

  /** A contributor fires on a ticket of its own problem: joins, or is seen again (throttled unless news). */
  private seen(open: OpenProblem, outcome: RuleOutcome): Change[] {
    const ticket = open.ticket;
    const contributors = ticket.contributors!;
    const previous = contributors.find(
      (c) => c.rule.id === outcome.rule.spec.id && c.channel === outcome.channel,
    );
    const joined = !previous?.active;
    const severity = this.severityOf(contributors, previous, outcome);
    const lastSeen = isoTime(outcome.windowEnd);
    // Between updates the ticket lives in memory only: writing it every window would cost an fsync
    // per window for a state the cloud does not see yet. A crash loses only those occurrence counts.
    // An escalation or a contributor joining is news, though, and goes out at once. This is the
    // steady state of a machine with a known fault (every window), so it builds one ticket and no
    // urgency.
    if (!joined && this.throttled(open.key) && !this.escalates(severity, ticket, outcome)) {
      // Copied whole, then fields set: V8 copies a plain spread fast, but a spread followed by
      // fields in one literal takes its slow path (measured: 7.8 → 6.8 µs per window of 64 open tickets).
      const seenContributor = { ...previous! };
      seenContributor.lastSeen = lastSeen;
      seenContributor.severity = atLeast(previous!.severity, outcome.severity);
      const seenTicket = { ...ticket };
      seenTicket.occurrences = ticket.occurrences + 1;
      seenTicket.lastSeen = lastSeen;
      if (outcome.prediction) seenTicket.prediction = outcome.prediction;
      seenTicket.contributors = contributors.map((c) => (c === previous ? seenContributor : c));
      return [{ problem: { ...open, ticket: seenTicket }, type: 'ticket.updated', throttled: true }];
    }
    const seenTicket: Ticket = {
      ...ticket,
      occurrences: ticket.occurrences + 1,
      lastSeen,
      ...(outcome.prediction ? { prediction: outcome.prediction } : {}),
      ...this.escalation(severity, ticket, outcome),
    };
    const found = outcome.evidence();
    const updated: Ticket = {
      ...seenTicket,
      title: titleOf(outcome, found),
      contributors: upsert(contributors, this.contributor(outcome, found, previous)),
      evidence: this.evidence(outcome, found, ticket.evidence),
    };
    // What explains a generic condition follows its rule (a reload, a ticket from an older agent).
    const explainedBy = outcome.rule.explainedBy.size > 0 ? [...outcome.rule.explainedBy] : undefined;
    const folds = this.foldSymptoms(
      { key: open.key, ticket: updated, ...(explainedBy ? { explainedBy } : {}) },
      outcome.windowEnd,
    );
    return [{ problem: folds.host, type: 'ticket.updated' }, ...folds.changes];
  }

  /**
   * A contributor of a ticket of its own problem clears. The ticket clears once none of its own
   * contributors fires; folded conditions still holding then raise tickets of their own again
   * (their rules keep firing, and nothing explains them any more).
   */
  private contributorCleared(open: OpenProblem, outcome: RuleOutcome): Change[] {
    const ticket = open.ticket;
    const wanted = contributorKey(outcome.rule.spec.id, outcome.channel);
    // Only a firing contributor's clear means anything: another pair's is no news for this ticket.
    if (!ticket.contributors!.some((c) => keyOf(c) === wanted && c.active && !c.folded)) return [];
    const found = outcome.evidence();
    const at = isoTime(outcome.windowEnd);
    const contributors = ticket.contributors!.map((c) =>
      keyOf(c) === wanted && !c.folded ? this.clearedContributor(c, outcome, found) : c,
    );
    const stillFiring = contributors.filter((c) => c.active && !c.folded);
    if (stillFiring.length > 0) {
      return [
        { problem: { ...open, ticket: this.resettle({ ...ticket, contributors }) }, type: 'ticket.updated' },
      ];
    }
    const released = contributors.filter((c) => c.active && c.folded);
    const evidence = this.evidence(outcome, found, ticket.evidence);
    const cleared: Ticket = {
      ...ticket,
      condition: 'cleared',
      lastSeen: at,
      clearedAt: at,
      contributors: contributors.map((c) => (c.active ? { ...c, active: false } : c)),
      evidence: {
        ...evidence,
        reasoning: [
          ...evidence.reasoning,
          ...released.map(
            (c) =>
              `${FOLDED_LINE}${c.rule.id} on ${c.channel} still holds (${c.summary}): it raises a ticket of its own again`,
          ),
        ],
      },
    };
    return [{ problem: { ...open, ticket: cleared }, type: 'ticket.cleared' }];
  }

  /** A generic condition explained by the host's diagnosis joins, updates or leaves it as a folded contributor. */
  private joinAsFolded(host: OpenProblem, outcome: RuleOutcome): Change[] {
    const { rule, assetId, channel } = outcome;
    const changes: Change[] = [];
    let hostTicket = host.ticket;
    // A ticket this condition raised before (from an older agent, or before a rule reload) goes too.
    const own = this.open.get(problemKey(assetId, rule.spec.fault, rule.spec.id, channel));
    if (own && own !== host) {
      const folded = this.fold(own, hostTicket, outcome.windowEnd);
      hostTicket = folded.host;
      changes.push(folded.change);
    }
    const wanted = contributorKey(rule.spec.id, channel);
    const previous = hostTicket.contributors!.find((c) => keyOf(c) === wanted);
    if (outcome.kind === 'clear') {
      if (!previous?.active)
        return changes.length
          ? [{ problem: { ...host, ticket: hostTicket }, type: 'ticket.updated' }, ...changes]
          : [];
      const contributors = hostTicket.contributors!.map((c) =>
        c === previous ? this.clearedContributor(c, outcome, outcome.evidence()) : c,
      );
      return [
        {
          problem: { ...host, ticket: this.resettle({ ...hostTicket, contributors }) },
          type: 'ticket.updated',
        },
        ...changes,
      ];
    }
    const joined = !previous?.active;
    const severity = this.severityOf(hostTicket.contributors!, previous, outcome);
    const escalation = this.escalation(severity, hostTicket, outcome);
    const escalated = escalation !== undefined;
    if (!joined && !escalated && changes.length === 0 && this.throttled(host.key)) {
      const quiet = hostTicket.contributors!.map((c) =>
        c === previous
          ? { ...c, lastSeen: isoTime(outcome.windowEnd), severity: atLeast(c.severity, outcome.severity) }
          : c,
      );
      return [
        {
          problem: { ...host, ticket: { ...hostTicket, contributors: quiet } },
          type: 'ticket.updated',
          throttled: true,
        },
      ];
    }
    const found = outcome.evidence();
    const reason = previous?.folded?.reason ?? foldReason(hostTicket, rule.spec.id);
    const contributor = this.contributor(outcome, found, previous, {
      reason,
      ...(previous?.folded?.fromTicketId ? { fromTicketId: previous.folded.fromTicketId } : {}),
    });
    const updated: Ticket = {
      ...hostTicket,
      ...escalation,
      contributors: upsert(hostTicket.contributors!, contributor),
    };
    return [
      { problem: { ...host, ticket: withFoldedReasoning(updated) }, type: 'ticket.updated' },
      ...changes,
    ];
  }

  /** Folds every open ticket of a generic condition on this asset that the host's fault explains. */
  private foldSymptoms(host: OpenProblem, atMs: number): { host: OpenProblem; changes: Change[] } {
    const changes: Change[] = [];
    let ticket = host.ticket;
    for (const problem of this.open.values()) {
      if (problem.key === host.key || problem.ticket.assetId !== ticket.assetId) continue;
      if (!problem.explainedBy?.includes(ticket.fault)) continue;
      const folded = this.fold(problem, ticket, atMs);
      ticket = folded.host;
      changes.push(folded.change);
    }
    return { host: { ...host, ticket: changes.length ? withFoldedReasoning(ticket) : ticket }, changes };
  }

  /**
   * A generic condition's own ticket clears into the diagnosed one: it names that ticket in
   * `foldedInto`, and its firing contributors carry on there, folded, with the reason.
   */
  private fold(symptom: OpenProblem, host: Ticket, atMs: number): { host: Ticket; change: Change } {
    const at = isoTime(atMs);
    const moving = symptom.ticket.contributors!.filter((c) => c.active);
    const reason = foldReason(host, symptom.ticket.rule.id);
    let contributors = host.contributors!;
    for (const c of moving) {
      contributors = upsert(contributors, { ...c, folded: { reason, fromTicketId: symptom.ticket.id } });
    }
    const severity = maxSeverity(
      contributors.filter((c) => c.active).map((c) => c.severity),
      host.severity,
    );
    // The symptom's deadline (zone D: within 24 h) holds for the problem it is folded into.
    const earlierDue = [host.dueAt, symptom.ticket.dueAt]
      .filter((due): due is string => due !== undefined)
      .sort((a, b) => Date.parse(a) - Date.parse(b))[0];
    const foldedHost: Ticket = {
      ...host,
      contributors,
      ...(earlierDue !== undefined ? { dueAt: earlierDue } : {}),
      ...(higher(severity, host.severity) ? this.urgency(severity, atMs, earlierDue) : {}),
    };
    const cleared: Ticket = {
      ...symptom.ticket,
      condition: 'cleared',
      lastSeen: at,
      clearedAt: at,
      foldedInto: host.id,
      contributors: symptom.ticket.contributors!.map((c) => (c.active ? { ...c, active: false } : c)),
      evidence: {
        ...symptom.ticket.evidence,
        reasoning: [
          ...symptom.ticket.evidence.reasoning,
          `folded into ticket ${host.id} (${host.title}): ${reason}; the condition is tracked there`,
        ],
      },
    };
    return { host: foldedHost, change: { problem: { ...symptom, ticket: cleared }, type: 'ticket.cleared' } };
  }

  /** Severity is the highest of the firing contributors: a contributor clearing can lower it, never the due date. */
  private resettle(ticket: Ticket): Ticket {
    const severity = maxSeverity(
      ticket.contributors!.filter((c) => c.active).map((c) => c.severity),
      ticket.severity,
    );
    return withFoldedReasoning({ ...ticket, severity, priority: PRIORITY[severity] });
  }

  /** The ticket's severity once this outcome is counted: a contributor's severity only rises while it fires. */
  private severityOf(
    contributors: Contributor[],
    previous: Contributor | undefined,
    outcome: RuleOutcome,
  ): Severity {
    const own = previous?.active ? atLeast(previous.severity, outcome.severity) : outcome.severity;
    const others = contributors.filter((c) => c.active && c !== previous).map((c) => c.severity);
    return maxSeverity([own, ...others], own);
  }

  private throttled(key: string): boolean {
    return this.now() - (this.lastSent.get(key) ?? 0) < this.options.updateIntervalMs;
  }

  private contributor(
    outcome: RuleOutcome,
    found: RuleEvidence,
    previous: Contributor | undefined,
    folded?: Contributor['folded'],
  ): Contributor {
    const at = isoTime(outcome.windowEnd);
    const firing = previous?.active === true;
    return {
      rule: { id: outcome.rule.spec.id, version: outcome.rule.version },
      channel: outcome.channel,
      fault: outcome.rule.spec.fault,
      severity: firing ? atLeast(previous.severity, outcome.severity) : outcome.severity,
      active: true,
      summary: clip(`${outcome.channel}: ${found.detail || outcome.rule.spec.title}`, 400),
      triggeringValues: found.triggeringValues.slice(0, 16),
      reasoning: found.reasoning.slice(0, 32),
      since: firing ? previous.since : isoTime(outcome.since ?? outcome.windowStart),
      lastSeen: at,
      ...(folded ? { folded } : {}),
    };
  }

  private clearedContributor(c: Contributor, outcome: RuleOutcome, found: RuleEvidence): Contributor {
    const at = isoTime(outcome.windowEnd);
    return {
      ...c,
      active: false,
      summary: clip(`${c.channel}: ${found.detail}`, 400),
      reasoning: found.reasoning.slice(0, 32),
      lastSeen: at,
      clearedAt: at,
    };
  }

  /** The changes and the open-ticket state they imply, in one transaction; memory follows only once committed. */
  private commit(changes: Change[]): OutboxEvent[] {
    const sent = changes.filter((c) => !c.throttled);
    for (const change of changes.filter((c) => c.throttled))
      this.open.set(change.problem.key, change.problem);
    if (sent.length === 0) return [];
    const outbox = this.options.outbox;
    const at = isoTime(this.now());
    const events = outbox.transaction(() =>
      sent.map(({ problem, type }) => {
        if (type === 'ticket.cleared') outbox.clearOpenTicket(problem.key, problem.ticket.id);
        else outbox.saveOpenTicket(problem.key, problem.ticket, problem.explainedBy);
        return outbox.append(type, problem.ticket, at);
      }),
    );
    for (const { problem, type } of sent) {
      if (type === 'ticket.cleared') {
        this.open.delete(problem.key);
        this.lastSent.delete(problem.key);
      } else {
        this.open.set(problem.key, problem);
        this.lastSent.set(problem.key, this.now());
      }
    }
    return events;
  }

  /**
   * Severity sets priority; due date from severity, the zone the outcome saw and its prediction
   * (`dueDate`, one source for all three); an escalation can only bring the due date forward.
   */
  private urgency(
    severity: Severity,
    fromMs: number,
    previousDue?: string,
    outcome?: Pick<RuleOutcome, 'isoZone' | 'prediction'>,
  ): Pick<Ticket, 'severity' | 'priority' | 'dueAt'> {
    const due = dueDate({
      severity,
      fromMs,
      slaMs: this.options.slaMs,
      isoZone: outcome?.isoZone,
      prediction: outcome?.prediction,
      previousDueMs: previousDue === undefined ? undefined : Date.parse(previousDue),
    });
    return { severity, priority: PRIORITY[severity], dueAt: isoTime(due) };
  }

  /**
   * The urgency an outcome brings to an open ticket when it is news (a higher severity or an earlier
   * deadline), or undefined.
   */
  private escalation(
    severity: Severity,
    ticket: Ticket,
    outcome: RuleOutcome,
  ): Pick<Ticket, 'severity' | 'priority' | 'dueAt'> | undefined {
    if (!this.escalates(severity, ticket, outcome)) return undefined;
    return this.urgency(severity, outcome.windowEnd, ticket.dueAt, outcome);
  }

  /** Whether the outcome escalates the ticket, in numbers only: asked every window, the urgency built only when it does. */
  private escalates(severity: Severity, ticket: Ticket, outcome: RuleOutcome): boolean {
    if (higher(severity, ticket.severity)) return true;
    if (ticket.dueAt === undefined) return false;
    const previousDueMs = Date.parse(ticket.dueAt);
    const due = dueDate({
      severity,
      fromMs: outcome.windowEnd,
      slaMs: this.options.slaMs,
      isoZone: outcome.isoZone,
      prediction: outcome.prediction,
      previousDueMs,
    });
    return due < previousDueMs;
  }

  private newTicket(outcome: RuleOutcome, key: string, found: RuleEvidence): Ticket {
    const { rule } = outcome;
    const previousTicketId = this.options.outbox.clearedTicketId(key);
    return {
      id: this.ulid(this.now()),
      gatewayId: this.options.gatewayId,
      site: this.options.site,
      assetId: outcome.assetId,
      fault: rule.spec.fault,
      ...this.urgency(outcome.severity, outcome.windowEnd, undefined, outcome),
      status: 'new',
      condition: 'active',
      title: titleOf(outcome, found),
      summary: rule.spec.summary ?? rule.spec.title,
      suggestedAction: rule.spec.action,
      rule: { id: rule.spec.id, version: rule.version },
      evidence: this.evidence(outcome, found),
      ...(outcome.prediction ? { prediction: outcome.prediction } : {}),
      ...(previousTicketId ? { previousTicketId } : {}),
      contributors: [this.contributor(outcome, found, undefined)],
      occurrences: 1,
      firstSeen: isoTime(outcome.since ?? outcome.windowStart),
      lastSeen: isoTime(outcome.windowEnd),
    };
  }

  private evidence(outcome: RuleOutcome, found: RuleEvidence, previous?: Evidence): Evidence {
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

const atLeast = (a: Severity, b: Severity): Severity => (higher(b, a) ? b : a);

/** Replaces a contributor with the same rule and channel, or adds it. */
function upsert(contributors: Contributor[], contributor: Contributor): Contributor[] {
  const key = keyOf(contributor);
  const at = contributors.findIndex((c) => keyOf(c) === key);
  if (at < 0) return [...contributors, contributor];
  return contributors.map((c, i) => (i === at ? contributor : c));
}

function foldReason(host: Ticket, ruleId: string): string {
  return `explained by ${host.fault.replaceAll('_', ' ')} diagnosed on ${host.assetId} (ticket ${host.id}; rule ${ruleId} lists ${host.fault} in explainedBy)`;
}

/** The ticket's reasoning ends with the folded conditions that still hold: what else the engineer sees, and why here. */
function withFoldedReasoning(ticket: Ticket): Ticket {
  const lines = ticket
    .contributors!.filter((c) => c.active && c.folded)
    .map(
      (c) =>
        `${FOLDED_LINE}${c.rule.id} on ${c.channel}: ${c.summary.slice(c.channel.length + 2)}; ${c.folded!.reason}`,
    );
  const reasoning = [...ticket.evidence.reasoning.filter((l) => !l.startsWith(FOLDED_LINE)), ...lines];
  return { ...ticket, evidence: { ...ticket.evidence, reasoning } };
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}

const TITLE_MAX = 200;
const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/**
 * `pump-1: Unbalance (1× dominant), confidence 99 %`: the asset, the rule's title and what it saw
 * in plant language. The expression behind it stays in the evidence's reasoning.
 */
function titleOf(outcome: RuleOutcome, found: RuleEvidence): string {
  const detail = found.detail ? `, ${found.detail}` : '';
  return clip(`${outcome.assetId}: ${outcome.rule.spec.title}${detail}`, TITLE_MAX);
}
