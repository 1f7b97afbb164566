import type { TicketChangeSubject, TicketChangeType } from '../../shared/schema/index.js';

/** What a notification says, whatever the channel: an email subject and text, or a JSON payload's. */
export interface NotificationMessage {
  subject: string;
  text: string;
}

export interface NotificationItem {
  ticket: TicketChangeSubject;
  changeType: TicketChangeType;
  stateKey: string;
  reason: string;
  link: string;
}

const headline = (item: NotificationItem): string => {
  const { stateKey } = item;
  if (stateKey.startsWith('assigned:')) return 'assigned to you';
  if (stateKey.startsWith('escalated:')) return 'escalated to you';
  if (stateKey.startsWith('overdue:')) return 'overdue, escalated to you';
  if (stateKey.startsWith('raised:')) {
    return stateKey.includes('@') ? 'failure predicted sooner' : `raised to ${item.ticket.severity}`;
  }
  if (stateKey.startsWith('status:')) return stateKey.slice('status:'.length).replace('_', ' ');
  if (stateKey.startsWith('comment:')) return 'new comment';
  return stateKey === 'opened' ? 'new ticket' : stateKey;
};

const bySeverity = (t: TicketChangeSubject) => `[${t.severity.toUpperCase()}]`;

/** `[HIGH] pump-1: velocity high — assigned to you`, and a text an engineer can act on from a phone. */
export function notificationMessage(item: NotificationItem): NotificationMessage {
  const t = item.ticket;
  const subject = `${bySeverity(t)} ${t.title} — ${headline(item)}`;
  const text = [
    `${t.title}`,
    '',
    `Why you hear of it: ${item.reason}`,
    '',
    `Site:      ${t.site}`,
    `Asset:     ${t.assetId}`,
    `Fault:     ${t.fault}${t.predicted ? ' (predicted)' : ''}`,
    `Severity:  ${t.severity}`,
    `Status:    ${t.status}${t.assignee ? ` (assignee ${t.assignee})` : ''}`,
    `Due:       ${t.dueAt}`,
    ...(t.historical ? ['', 'Raised while its gateway was offline: history, not a live alarm.'] : []),
    '',
    `Open it:   ${item.link}`,
  ].join('\n');
  return { subject, text };
}

/** One message for many tickets: each ticket once, with its latest state, most severe first. */
export function digestMessage(items: readonly NotificationItem[]): NotificationMessage {
  const latest = new Map<string, NotificationItem>();
  for (const item of items) latest.set(item.ticket.id, item);
  const rank = { critical: 0, high: 1, medium: 2, low: 3 } as const;
  const tickets = [...latest.values()].sort(
    (a, b) =>
      rank[a.ticket.severity] - rank[b.ticket.severity] || a.ticket.dueAt.localeCompare(b.ticket.dueAt),
  );
  const subject = `[DIGEST] ${tickets.length} ticket${tickets.length === 1 ? '' : 's'} changed`;
  const text = tickets
    .map((item) => {
      const t = item.ticket;
      return [
        `${bySeverity(t)} ${t.title} — ${headline(item)}${t.historical ? ' (historical)' : ''}`,
        `  ${t.site} / ${t.assetId}, ${t.fault}, status ${t.status}, due ${t.dueAt}`,
        `  ${item.link}`,
      ].join('\n');
    })
    .join('\n\n');
  return { subject, text };
}
