import type { TicketChange } from '../../shared/schema/index.js';
import type { Severity } from '../../shared/schema/ticket.js';
import { canSeeSite, type UserSites } from '../access/roles.js';
import type { NotificationChannel, UserNotificationPreferences } from './notify-config.js';

/** Who is told of one change, and the state the change put the ticket in (the de-duplication key). */
export interface Recipient {
  username: string;
  /**
   * `opened`, `assigned:alice`, `escalated:2`, `overdue:1`, `raised:critical`, `status:acknowledged`,
   * `cleared`, `comment:<id>`.
   */
  stateKey: string;
  /** Why this user hears of it, for the message. */
  reason: string;
}

export interface KnownUser {
  username: string;
  sites: UserSites;
  disabled: boolean;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/** The state a change moved the ticket to; undefined for changes nobody is told of. */
export function stateKeyOf(change: TicketChange): string | undefined {
  const { detail } = change;
  switch (change.type) {
    case 'ticket.opened':
      return 'opened';
    case 'ticket.assigned':
      return `assigned:${text(detail.to) ?? change.ticket.assignee ?? ''}`;
    case 'ticket.escalated':
      // An overdue chain counts its own levels: its level 1 is not the unacknowledged chain's.
      return `${detail.cause === 'overdue' ? 'overdue' : 'escalated'}:${String(detail.level ?? '?')}`;
    case 'ticket.severity_raised':
      // Once per severity reached, and once per predicted failure time brought closer.
      return `raised:${text(detail.to) ?? change.ticket.severity}${
        text(detail.etaAfter) ? `@${text(detail.etaAfter)}` : ''
      }`;
    case 'ticket.transitioned':
      return `status:${text(detail.to) ?? change.ticket.status}`;
    case 'ticket.cleared':
      return 'cleared';
    case 'ticket.commented':
      return `comment:${String(detail.commentId ?? change.cursor)}`;
    default:
      // ticket.updated is a new occurrence of the same state: never a notification.
      return undefined;
  }
}

function reasonOf(change: TicketChange): string {
  const { detail } = change;
  const why = text(detail.reason);
  switch (change.type) {
    case 'ticket.assigned':
      return `assigned to you by ${change.actor}${why ? `: ${why}` : ''}`;
    case 'ticket.escalated':
      return `escalated to you (level ${String(detail.level ?? '?')})${why ? `: ${why}` : ''}`;
    case 'ticket.severity_raised':
      return why ?? `the edge raised it to ${change.ticket.severity}`;
    case 'ticket.transitioned':
      return `${change.actor} moved it from ${String(detail.from)} to ${String(detail.to)}`;
    case 'ticket.cleared':
      return 'the condition cleared at the gateway';
    case 'ticket.commented':
      return `${change.actor} commented: ${text(detail.text) ?? ''}`.trim();
    default:
      return `new ticket at ${change.ticket.site}`;
  }
}

/**
 * Who hears of a change: the assignee of their tickets (not of their own actions), and the users
 * watching `sites` of every new ticket on a site they can see. Disabled users hear nothing.
 */
export function recipientsOf(
  change: TicketChange,
  users: readonly KnownUser[],
  preferences: ReadonlyMap<string, UserNotificationPreferences>,
): Recipient[] {
  const stateKey = stateKeyOf(change);
  if (stateKey === undefined) return [];
  const active = new Map(users.filter((u) => !u.disabled).map((u) => [u.username, u]));
  const reason = reasonOf(change);
  const watchers = () =>
    [...active.values()]
      .filter((u) => preferences.get(u.username)?.watch === 'sites' && canSeeSite(u, change.ticket.site))
      .filter((u) => u.username !== change.actor)
      .map((u) => ({ username: u.username, stateKey, reason }));
  if (change.type === 'ticket.opened') return watchers();
  if (change.type === 'ticket.severity_raised') {
    // Who hears of a new ticket hears of it getting worse, and so does whoever has it.
    const assignee = change.ticket.assignee;
    const others = watchers().filter((r) => r.username !== assignee);
    return assignee && active.has(assignee) ? [{ username: assignee, stateKey, reason }, ...others] : others;
  }
  const assignee =
    change.type === 'ticket.assigned' || change.type === 'ticket.escalated'
      ? (text(change.detail.to) ?? change.ticket.assignee)
      : change.ticket.assignee;
  if (!assignee || assignee === change.actor || !active.has(assignee)) return [];
  return [{ username: assignee, stateKey, reason }];
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export const passesMinSeverity = (channel: NotificationChannel, severity: Severity): boolean =>
  RANK[severity] >= RANK[channel.minSeverity ?? 'low'];

/** Stable name of a channel within a user's preferences: its kind and address, never its secret. */
export function channelKey(channel: NotificationChannel): string {
  switch (channel.kind) {
    case 'email':
      return `email:${channel.to}`;
    case 'webhook':
      return `webhook:${channel.url}`;
    case 'mqtt':
      return `mqtt:${channel.topic}`;
  }
}
