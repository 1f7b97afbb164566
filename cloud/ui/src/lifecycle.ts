import type { Role, TicketStatus } from './types.js';

/** Every status, in lifecycle order (the queue's status filter). */
export const TICKET_STATUSES: readonly TicketStatus[] = [
  'new',
  'acknowledged',
  'in_progress',
  'resolved',
  'closed',
  'false_positive',
  'duplicate',
];

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
  false_positive: 'False positive…',
  duplicate: 'Duplicate of…',
};

/** Viewers read; engineers and admins act on tickets (the server enforces the same). */
export const canAct = (role: Role): boolean => role === 'engineer' || role === 'admin';
