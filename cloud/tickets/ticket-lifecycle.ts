import {
  DEFAULT_SLA_HOURS,
  type Severity,
  type TicketStatus,
  type TransitionRequest,
} from '../../shared/schema/index.js';

/**
 * Where a ticket may go from each state. `closed`, `false_positive` and `duplicate` are final;
 * a resolved ticket may be reopened (the repair did not hold) until it is closed.
 */
export const TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['acknowledged', 'in_progress', 'false_positive', 'duplicate'],
  acknowledged: ['in_progress', 'resolved', 'false_positive', 'duplicate'],
  in_progress: ['acknowledged', 'resolved', 'false_positive'],
  resolved: ['closed', 'in_progress'],
  closed: [],
  false_positive: [],
  duplicate: [],
};

/** States in which someone still owes the ticket work: the SLA clock runs and it can be overdue. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'acknowledged', 'in_progress'];

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export type TransitionProblem =
  | { kind: 'conflict'; message: string }
  | { kind: 'condition_active'; message: string }
  | { kind: 'invalid'; field: string; message: string };

/** Why this transition may not happen, or undefined when it may. */
export function transitionProblem(
  from: TicketStatus,
  request: TransitionRequest,
  ticketId: string,
  nowMs = Date.now(),
): TransitionProblem | undefined {
  const allowed = TRANSITIONS[from];
  if (!allowed.includes(request.to)) {
    return {
      kind: 'conflict',
      message: `a ${from} ticket cannot become ${request.to}; ${
        allowed.length ? `it may become ${allowed.join(', ')}` : `${from} is final`
      }`,
    };
  }
  const feedback = request.feedback;
  if (request.to === 'resolved') {
    if (!feedback) {
      return {
        kind: 'invalid',
        field: 'feedback',
        message:
          'resolving needs the close-out: feedback {outcome: confirmed|false_positive|inconclusive, failureMode, actionTaken}',
      };
    }
    if (feedback.outcome === 'confirmed' && !feedback.failureMode) {
      return {
        kind: 'invalid',
        field: 'feedback/failureMode',
        message: 'a confirmed failure needs its failure mode code (e.g. outer_race, VIB, OHE)',
      };
    }
    // A minute of grace for the clocks of the engineer's device and the cloud.
    if (feedback.failureAt !== undefined && Date.parse(feedback.failureAt) > nowMs + 60_000) {
      return {
        kind: 'invalid',
        field: 'feedback/failureAt',
        message: `${feedback.failureAt} is in the future; give when the failure happened, or leave it out if unknown`,
      };
    }
  } else if (request.to === 'false_positive') {
    if (feedback && feedback.outcome !== 'false_positive') {
      return {
        kind: 'invalid',
        field: 'feedback/outcome',
        message: `a false_positive transition cannot carry outcome '${feedback.outcome}'`,
      };
    }
  } else if (feedback) {
    return {
      kind: 'invalid',
      field: 'feedback',
      message: `a close-out belongs to resolved or false_positive, not ${request.to}`,
    };
  }
  if (request.to === 'duplicate') {
    if (!request.duplicateOf) {
      return { kind: 'invalid', field: 'duplicateOf', message: 'name the ticket this one duplicates' };
    }
    if (request.duplicateOf === ticketId) {
      return { kind: 'invalid', field: 'duplicateOf', message: 'a ticket cannot duplicate itself' };
    }
  } else if (request.duplicateOf) {
    return {
      kind: 'invalid',
      field: 'duplicateOf',
      message: 'duplicateOf belongs to a duplicate transition',
    };
  }
  return undefined;
}

/** The edge sets dueAt from its site's SLA; tickets without one get the default for their severity. */
export const dueAt = (severity: Severity, firstSeen: string, edgeDueAt: string | undefined): string =>
  edgeDueAt ?? new Date(Date.parse(firstSeen) + DEFAULT_SLA_HOURS[severity] * 3_600_000).toISOString();

export const isOverdue = (status: TicketStatus, due: string, nowMs: number): boolean =>
  OPEN_STATUSES.includes(status) && Date.parse(due) < nowMs;

/** A ticket the cloud first saw this long after it opened was raised during an outage. */
const HISTORICAL_AFTER_MS = 10 * 60_000;

export const isHistorical = (firstReceivedAt: string | null, openedAt: string): boolean =>
  firstReceivedAt !== null && Date.parse(firstReceivedAt) - Date.parse(openedAt) > HISTORICAL_AFTER_MS;
