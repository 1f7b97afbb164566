import type { TicketView } from '../../shared/schema/index.js';
import { OPEN_STATUSES } from '../tickets/ticket-lifecycle.js';
import type { EscalationDeps } from './escalation.js';
import { overdueAfterMs, overdueEvery, type OverduePolicy, type RoutingConfig } from './routing-config.js';
import { candidateReason, eligibleOnCall, leadOf, matchRule, type RoutingFacts } from './router.js';
import type { OverdueEscalation } from './routing-store.js';

/**
 * Escalation of open tickets past their due date (`routing.escalateOverdue`): to the site lead, or
 * step by step to the next engineer on call not tried yet and then the lead, after whom it stops.
 * Like the unacknowledged escalation, audited as `escalate` (detail.cause `overdue`) and logged as
 * `ticket.escalated`; two instances do not both take a step (the row is advanced conditionally).
 */

const agoText = (ms: number): string => {
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `${minutes}m` : `${Math.round(minutes / 60)}h`;
};

/** Takes every overdue step due now; returns how many tickets were reassigned. */
export async function escalateOverdue(deps: EscalationDeps): Promise<number> {
  const config = await deps.config();
  const policy = config.escalateOverdue;
  if (!policy) return 0;
  const nowMs = deps.clock.now();
  const dueBefore = new Date(nowMs - overdueAfterMs(policy)).toISOString();
  let escalated = 0;
  for (const due of await deps.routing.overdueDue(dueBefore, new Date(nowMs).toISOString())) {
    if (await overdueStep(deps, config, policy, due, nowMs)) escalated++;
  }
  return escalated;
}

interface Step {
  assignee: string;
  reason: string;
  done: boolean;
}

function nextStep(
  config: RoutingConfig,
  policy: OverduePolicy,
  ticket: TicketView,
  skill: string | undefined,
  tried: readonly string[],
  facts: RoutingFacts,
): Step | undefined {
  const current = ticket.assignee ?? null;
  const late = `overdue: due ${ticket.dueAt}, ${agoText(facts.nowMs - Date.parse(ticket.dueAt))} ago${
    current ? `, with ${current}` : ' (unassigned)'
  }`;
  if ((policy.to ?? 'lead') === 'next') {
    const candidates = eligibleOnCall(config, ticket.site, skill, facts, tried);
    const best = candidates[0];
    if (best) {
      return {
        assignee: best.engineer,
        reason: `${late}; next ${candidateReason(best, candidates.length, ticket.site, skill)}`,
        done: false,
      };
    }
  }
  const lead = leadOf(config, ticket.site, facts);
  if (lead && lead !== current) return { assignee: lead, reason: `${late}; site lead`, done: true };
  return undefined;
}

async function overdueStep(
  deps: EscalationDeps,
  config: RoutingConfig,
  policy: OverduePolicy,
  due: OverdueEscalation,
  nowMs: number,
): Promise<boolean> {
  const { review, routing, logger } = deps;
  const ticket = await review.get(due.ticketId, nowMs);
  if (!ticket) return false;
  const every = overdueEvery(config, policy, ticket.severity);
  const nextAt = new Date(nowMs + every.ms).toISOString();
  // Cleared while nobody took it yet: no paging (it is looked at again after `every`).
  if (ticket.status === 'new' && ticket.condition === 'cleared') {
    await routing.advanceOverdue(due, { level: due.level, nextAt, tried: due.tried, done: false });
    return false;
  }
  const current = ticket.assignee ?? null;
  const tried = [...new Set([...due.tried, ...(current ? [current] : [])])];
  const registryGroup = await routing.registryGroup(ticket.assetId);
  const skill = matchRule(config, { ...ticket, registryGroup })?.skill;
  const step = nextStep(config, policy, ticket, skill, tried, await deps.facts(nowMs));
  const level = step ? due.level + 1 : due.level;
  const claimed = await routing.advanceOverdue(due, { level, nextAt, tried, done: step?.done ?? true });
  if (!claimed || !step) return false;
  const outcome = await review.assign(ticket.id, 'routing', { assignee: step.assignee }, nowMs, {
    reason: step.reason,
    escalationLevel: level,
    escalationCause: 'overdue',
    onlyIf: { statuses: OPEN_STATUSES, assignee: current },
  });
  // Someone moved it meanwhile: people win over escalation; the next pass looks again.
  if ('problem' in outcome) return false;
  await routing.markAssigned(step.assignee, new Date(nowMs).toISOString());
  await routing.count('escalated');
  logger.info(
    { ticketId: ticket.id, from: current, to: step.assignee, level, reason: step.reason },
    'overdue ticket escalated',
  );
  return true;
}
