import type { Role, TicketStatus } from './types.js';

/**
 * The cloud's lifecycle (cloud/review/ticket-lifecycle.ts), mirrored so the console offers only the
 * moves the server will accept; test/console.test.ts checks that the two tables are equal.
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

export const TICKET_STATUSES = Object.keys(TRANSITIONS) as TicketStatus[];

/** Someone still owes these tickets work: the SLA clock runs. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'acknowledged', 'in_progress'];

export const STATUS_LABELS: Record<TicketStatus, string> = {
  new: 'New',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
  false_positive: 'False positive',
  duplicate: 'Duplicate',
};

/** What the button that makes the move says: a verb, as engineers say it. */
export const MOVE_LABELS: Record<TicketStatus, string> = {
  new: 'Back to new',
  acknowledged: 'Acknowledge',
  in_progress: 'Start work',
  resolved: 'Resolve…',
  closed: 'Close',
  false_positive: 'False positive',
  duplicate: 'Duplicate of…',
};

/** Viewers read; engineers and admins act on tickets (the server enforces the same). */
export const canAct = (role: Role): boolean => role === 'engineer' || role === 'admin';
