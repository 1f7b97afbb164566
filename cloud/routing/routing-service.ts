import type { TicketChange, TicketView } from '../../shared/schema/index.js';
import { audit } from '../tickets/ticket-audit.js';
import { OPEN_STATUSES } from '../tickets/ticket-lifecycle.js';
import { type ConsumerHealth, startChangeConsumer } from '../tickets/change-consumer.js';
import type { CloudWorker } from '../cloud-module.js';
import type { CloudServices } from '../services.js';
import { escalateDue } from './escalation.js';
import { escalateOverdue } from './overdue.js';
import { type OnCall, onCallAt, siteLocalTime } from './on-call.js';
import { acknowledgeWithin, type RoutingConfig, routingProblems, siteSchedule } from './routing-config.js';
import { chooseAssignee, eligibleOnCall, matchRule, type RoutingFacts, type TicketFacts } from './router.js';
import { type RoutingCount, RoutingStore } from './routing-store.js';

/** Where the routing in force comes from: the API's (stored, wins once set), the file's, or none. */
export interface EffectiveRouting {
  source: 'file' | 'api' | 'none';
  config: RoutingConfig;
  updatedAt?: string;
  updatedBy?: string;
}

export interface OnCallView {
  site: string;
  at: string;
  timezone: string;
  /** e.g. `Mon 06:12` at the site. */
  localTime: string;
  onCall: OnCall[];
  lead?: string;
}

export interface RoutingStatus {
  source: EffectiveRouting['source'];
  counts: Record<RoutingCount, number>;
  /** New routed tickets whose acknowledge deadline is watched. */
  watching: number;
  /** New tickets whose condition cleared: their escalation waits for it to come back. */
  paused: number;
  consumer: ConsumerHealth;
}

/** Assigns new tickets to the engineer on call, and escalates the ones nobody acknowledged in time. */
export interface RoutingService extends CloudWorker {
  /**
   * Escalates every ticket whose acknowledge time has passed, and every overdue step due
   * (`escalateOverdue`); also run on a timer. Returns how many tickets were reassigned.
   */
  escalateDue(): Promise<number>;
  config(): Promise<EffectiveRouting>;
  /** Stores the API's routing config (validated by the caller with routingProblems). */
  setConfig(config: RoutingConfig, updatedBy: string): Promise<EffectiveRouting>;
  /** Who is on call at a site at an instant; undefined for a site without a schedule. */
  onCall(site: string, atMs: number): Promise<OnCallView | undefined>;
  status(): Promise<RoutingStatus>;
}

const CONSUMER = 'routing';
const ESCALATION_INTERVAL_MS = 30_000;
/** Other instances see a config put through the API within this. */
const CONFIG_CACHE_MS = 5_000;

/** Starts routing with the `routing:` section of cloud.yaml (the API's stored config wins over it). */
export async function startRouting(
  services: CloudServices,
  fileConfig: RoutingConfig | undefined,
): Promise<RoutingService> {
  const { store, clock, logger: parent } = services;
  const logger = parent.child({ module: 'routing' });
  if (fileConfig) {
    const problems = routingProblems(fileConfig);
    if (problems.length) throw new Error(`invalid routing config:\n  ${problems.join('\n  ')}`);
  }
  const routing = new RoutingStore(store.database);

  let cache: { readAtMs: number; value: EffectiveRouting } | undefined;
  async function effective(): Promise<EffectiveRouting> {
    if (cache && Date.now() - cache.readAtMs < CONFIG_CACHE_MS) return cache.value;
    const stored = await routing.readConfig();
    const value: EffectiveRouting = stored
      ? { source: 'api', ...stored }
      : fileConfig
        ? { source: 'file', config: fileConfig }
        : { source: 'none', config: {} };
    cache = { readAtMs: Date.now(), value };
    return value;
  }
  const currentConfig = async () => (await effective()).config;

  async function facts(nowMs: number): Promise<RoutingFacts> {
    const config = await currentConfig();
    const names = [
      ...new Set([
        ...Object.keys(config.engineers ?? {}),
        ...Object.values(config.sites ?? {}).flatMap((s) => s.lead ?? []),
      ]),
    ];
    return {
      nowMs,
      users: await store.access.listUsers(),
      openTickets: await routing.openTickets(names),
      lastAssignedAt: await routing.lastAssigned(names),
    };
  }

  /** Audits a change of the paging only routing sees (no ticket change to log). */
  const auditPaging = (
    ticketId: string,
    nowMs: number,
    action: 'escalation_paused' | 'escalation_resumed',
    reason: string,
  ) => audit(store.database, ticketId, new Date(nowMs).toISOString(), CONSUMER, action, { reason });

  async function pause(ticketId: string, nowMs: number): Promise<void> {
    if (!(await routing.pause(ticketId, new Date(nowMs).toISOString()))) return;
    const reason = 'the condition cleared at the edge while the ticket was new: nobody more is paged';
    await auditPaging(ticketId, nowMs, 'escalation_paused', reason);
    logger.info({ ticketId }, 'escalation paused: condition cleared while new');
  }

  async function resume(change: TicketChange): Promise<void> {
    const nowMs = clock.now();
    const config = await currentConfig();
    const ack = acknowledgeWithin(config, change.ticket.severity);
    if (!(await routing.resume(change.ticket.id, new Date(nowMs + ack.ms).toISOString()))) return;
    const reason = `the condition is active again at the edge: escalation resumes if nobody acknowledges within ${ack.text}`;
    await auditPaging(change.ticket.id, nowMs, 'escalation_resumed', reason);
    logger.info({ ticketId: change.ticket.id }, 'escalation resumed: condition active again');
  }

  const factsOf = async (ticket: TicketView): Promise<TicketFacts> => ({
    site: ticket.site,
    assetId: ticket.assetId,
    fault: ticket.fault,
    severity: ticket.severity,
    registryGroup: await routing.registryGroup(ticket.assetId),
  });

  /**
   * A raise from the edge: a `raised` rule that matches the new severity gives the ticket to whom
   * it chooses (unless the assignee is one it would choose); a new ticket's acknowledge deadline
   * comes forward to the new severity's.
   */
  async function onRaise(change: TicketChange): Promise<void> {
    const nowMs = clock.now();
    const ticket = await store.review.get(change.ticket.id, nowMs);
    if (!ticket || !OPEN_STATUSES.includes(ticket.status)) return;
    const { source, config } = await effective();
    if (source === 'none') return;
    const ticketFacts = await factsOf(ticket);
    const rule = matchRule(config, ticketFacts, 'raised');
    const why = typeof change.detail.reason === 'string' ? change.detail.reason : 'raised at the edge';
    const learnedMs = Math.min(Date.parse(change.at), nowMs);
    if (ticket.status === 'new') {
      await routing.rewatch({
        ticketId: ticket.id,
        site: ticket.site,
        ...(rule ? { rule: rule.name, ...(rule.skill ? { skill: rule.skill } : {}) } : {}),
        severity: ticket.severity,
        deadlineAt: new Date(learnedMs + acknowledgeWithin(config, ticket.severity).ms).toISOString(),
      });
    }
    if (!rule) return;
    const current = ticket.assignee ?? null;
    const routingFacts = await facts(nowMs);
    // The assignee stays when the rule would choose them too: the raise re-pages them (notify).
    if (
      current &&
      eligibleOnCall(config, ticket.site, rule.skill, routingFacts).some((c) => c.engineer === current)
    ) {
      return;
    }
    const decision = chooseAssignee(config, rule, ticketFacts, routingFacts);
    if (!decision.assignee || decision.assignee === current) return;
    const reason = `${why}; ${decision.reason}`;
    const outcome = await store.review.assign(ticket.id, CONSUMER, { assignee: decision.assignee }, nowMs, {
      reason,
      onlyIf: { statuses: OPEN_STATUSES, assignee: current },
    });
    if ('problem' in outcome) return;
    await routing.markAssigned(decision.assignee, new Date(nowMs).toISOString());
    await routing.count('routed');
    logger.info(
      { ticketId: ticket.id, from: current, assignee: decision.assignee, reason },
      'raised ticket rerouted',
    );
  }

  async function route(change: TicketChange): Promise<void> {
    const { ticket: subject } = change;
    switch (change.type) {
      case 'ticket.transitioned':
        if (subject.status !== 'new') await routing.drop(subject.id);
        return;
      case 'ticket.cleared':
        if (subject.status === 'new') await pause(subject.id, clock.now());
        return;
      case 'ticket.updated':
        if (change.detail.reactivated === true && subject.status === 'new') await resume(change);
        return;
      case 'ticket.severity_raised':
        return onRaise(change);
      default:
        return routeNew(change);
    }
  }

  async function routeNew(change: TicketChange): Promise<void> {
    const { ticket: subject } = change;
    const nowMs = clock.now();
    const ticket = await store.review.get(subject.id, nowMs);
    // Idempotent: a redelivered change, or a ticket someone already took, is left alone.
    if (!ticket || ticket.status !== 'new' || ticket.assignee) return;
    const { source, config } = await effective();
    if (source === 'none') return;
    const ticketFacts = await factsOf(ticket);
    const rule = matchRule(config, ticketFacts);
    if (!rule) {
      await routing.count('unrouted');
      logger.warn(
        { ticketId: ticket.id, site: ticket.site, fault: ticket.fault },
        'no routing rule matches the ticket; left unassigned',
      );
      return;
    }
    const decision = chooseAssignee(config, rule, ticketFacts, await facts(nowMs));
    // The ingest path stamps changes with the system time; a clock behind it (a test's) wins.
    const learnedMs = Math.min(Date.parse(change.at), nowMs);
    await routing.startEscalation({
      ticketId: ticket.id,
      site: ticket.site,
      rule: rule.name,
      ...(rule.skill ? { skill: rule.skill } : {}),
      severity: ticket.severity,
      deadlineAt: new Date(learnedMs + acknowledgeWithin(config, ticket.severity).ms).toISOString(),
    });
    if (!decision.assignee) {
      await routing.count('unrouted');
      logger.warn(
        { ticketId: ticket.id, site: ticket.site, reason: decision.reason },
        'ticket left unassigned',
      );
      return;
    }
    const outcome = await store.review.assign(ticket.id, CONSUMER, { assignee: decision.assignee }, nowMs, {
      reason: decision.reason,
      onlyIf: { statuses: ['new'], assignee: null },
    });
    // A conflict means someone took or moved the ticket meanwhile: theirs wins, not an error.
    if ('problem' in outcome) return;
    await routing.markAssigned(decision.assignee, new Date(nowMs).toISOString());
    await routing.count('routed');
    logger.info(
      { ticketId: ticket.id, assignee: decision.assignee, reason: decision.reason },
      'ticket routed',
    );
  }

  // A new consumer starts at the end of the log; fix that point now, so a ticket raised right
  // after startup is not skipped while the consumer's first pass is still on its way.
  await store.database.run(
    'INSERT INTO change_consumers (name, cursor) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
    [CONSUMER, Number(await store.changes.latestCursor())],
  );
  const consumer = startChangeConsumer({
    name: CONSUMER,
    db: store.database,
    feed: store.changes,
    logger,
    types: [
      'ticket.opened',
      'ticket.transitioned',
      'ticket.cleared',
      'ticket.updated',
      'ticket.severity_raised',
    ],
    handle: route,
  });

  // One escalation pass at a time per instance; instances among themselves are kept apart by the
  // conditional update of the escalation row.
  let escalating: Promise<number> = Promise.resolve(0);
  const runEscalation = () => {
    escalating = escalating
      .catch(() => 0)
      .then(async () => {
        const deps = { review: store.review, routing, clock, logger, config: currentConfig, facts, pause };
        return (await escalateDue(deps)) + (await escalateOverdue(deps));
      });
    return escalating;
  };
  const timer = setInterval(() => {
    runEscalation().catch((error: unknown) =>
      logger.error({ err: (error as Error).message }, 'escalation pass failed; trying again next time'),
    );
  }, ESCALATION_INTERVAL_MS);
  timer.unref();

  return {
    idle: () => consumer.idle(),
    async stop() {
      clearInterval(timer);
      await escalating.catch(() => undefined);
      await consumer.stop();
    },
    escalateDue: runEscalation,
    config: effective,
    async setConfig(config, updatedBy) {
      await routing.writeConfig(config, updatedBy, new Date(clock.now()).toISOString());
      cache = undefined;
      return effective();
    },
    async onCall(site, atMs) {
      const schedule = siteSchedule(await currentConfig(), site);
      if (!schedule) return undefined;
      return {
        site,
        at: new Date(atMs).toISOString(),
        timezone: schedule.timezone,
        localTime: siteLocalTime(atMs, schedule.timezone).text,
        onCall: onCallAt(schedule, atMs),
        ...(schedule.lead !== undefined ? { lead: schedule.lead } : {}),
      };
    },
    async status() {
      return {
        source: (await effective()).source,
        counts: await routing.counts(),
        watching: await routing.watching(),
        paused: await routing.paused(),
        consumer: consumer.health(),
      };
    },
  };
}
