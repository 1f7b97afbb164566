import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ReviewStore } from '../tickets/review-store.js';
import { acknowledgeWithin, type RoutingConfig } from './routing-config.js';
import { candidateReason, eligibleOnCall, leadOf, type RoutingFacts } from './router.js';
import type { Escalation, RoutingStore } from './routing-store.js';

/**
 * Escalation of new tickets nobody acknowledged in time: to the next engineer on call not tried
 * yet (fewest open tickets), and when none is left to the site lead, after whom it stops. A ticket
 * whose condition cleared while it is still new pages nobody more: its escalation pauses, and
 * resumes with a fresh deadline if the condition comes back.
 */

export interface EscalationDeps {
  review: ReviewStore;
  routing: RoutingStore;
  clock: Clock;
  logger: Logger;
  config(): Promise<RoutingConfig>;
  facts(nowMs: number): Promise<RoutingFacts>;
  /** Stops paging for a ticket whose condition cleared while it is new (audited). */
  pause(ticketId: string, nowMs: number): Promise<void>;
}

/** Escalates every escalation due now; returns how many tickets were reassigned. */
export async function escalateDue(deps: EscalationDeps): Promise<number> {
  const nowMs = deps.clock.now();
  let escalated = 0;
  for (const due of await deps.routing.due(new Date(nowMs).toISOString())) {
    if (await escalateOne(deps, due, nowMs)) escalated++;
  }
  return escalated;
}

async function escalateOne(deps: EscalationDeps, e: Escalation, nowMs: number): Promise<boolean> {
  const { review, routing, logger } = deps;
  const ticket = await review.get(e.ticketId, nowMs);
  if (!ticket || ticket.status !== 'new') {
    await routing.drop(e.ticketId);
    return false;
  }
  // The cleared change may not have reached the routing consumer yet; the ticket says it already.
  if (ticket.condition === 'cleared') {
    await deps.pause(e.ticketId, nowMs);
    return false;
  }
  const config = await deps.config();
  const facts = await deps.facts(nowMs);
  const current = ticket.assignee ?? null;
  const tried = [...new Set([...e.tried, ...(current ? [current] : [])])];
  const ack = acknowledgeWithin(config, e.severity);
  const late = `not acknowledged within ${ack.text}${current ? ` by ${current}` : ' (unassigned)'}`;
  const candidates = eligibleOnCall(config, e.site, e.skill, facts, tried);
  const best = candidates[0];
  const lead = leadOf(config, e.site, facts);
  let step: { assignee: string; reason: string; done: boolean } | undefined;
  if (best) {
    step = {
      assignee: best.engineer,
      reason: `${late}; next ${candidateReason(best, candidates.length, e.site, e.skill)}`,
      done: false,
    };
  } else if (lead && lead !== current) {
    step = { assignee: lead, reason: `${late}; nobody else on call at ${e.site}, site lead`, done: true };
  }
  const level = e.level + 1;
  const claimed = await routing.advance(e.ticketId, e.level, {
    level: step ? level : e.level,
    deadlineAt: new Date(nowMs + ack.ms).toISOString(),
    tried,
    done: step?.done ?? true,
  });
  // Another instance escalated it first.
  if (!claimed) return false;
  if (!step) {
    logger.warn(
      { ticketId: e.ticketId, site: e.site, tried, assignee: current },
      lead
        ? 'ticket not acknowledged in time by the site lead; nobody left to escalate to'
        : 'ticket not acknowledged in time and nobody left to escalate to (no site lead who can take it)',
    );
    return false;
  }
  const outcome = await review.assign(e.ticketId, 'routing', { assignee: step.assignee }, nowMs, {
    reason: step.reason,
    escalationLevel: level,
    onlyIf: { statuses: ['new'], assignee: current },
  });
  if ('problem' in outcome) {
    // Someone acknowledged or reassigned it meanwhile: people win over escalation.
    const now = await review.get(e.ticketId, nowMs);
    if (!now || now.status !== 'new') await routing.drop(e.ticketId);
    return false;
  }
  await routing.markAssigned(step.assignee, new Date(nowMs).toISOString());
  await routing.count('escalated');
  logger.info(
    { ticketId: e.ticketId, from: current, to: step.assignee, level, reason: step.reason },
    'ticket escalated',
  );
  return true;
}
