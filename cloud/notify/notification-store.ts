import type { TicketChangeSubject, TicketChangeType } from '../../shared/schema/index.js';
import { rowPlaceholders, type SqlDatabase } from '../store/sql-database.js';
import type { UserNotificationPreferences } from './notify-config.js';

export type NotificationStatus = 'pending' | 'sent' | 'failed';
export type DeliveryMode = 'single' | 'digest';

/** One notification in the outbox: a user, one of their channels, one ticket state. */
export interface NewNotification {
  username: string;
  channelKey: string;
  ticket: TicketChangeSubject;
  stateKey: string;
  changeType: TicketChangeType;
  reason: string;
  mode: DeliveryMode;
  createdAt: string;
  deliverAfter: string;
}

export interface StoredNotification extends NewNotification {
  id: number;
  status: NotificationStatus;
  attempts: number;
  lastError?: string;
  sentAt?: string;
}

interface NotificationRow {
  id: number | string;
  username: string;
  channel_key: string;
  ticket_id: string;
  state_key: string;
  change_type: string;
  severity: string;
  subject: string;
  reason: string;
  mode: string;
  status: string;
  created_at: string;
  deliver_after: string;
  attempts: number | string;
  last_error: string | null;
  sent_at: string | null;
}

const COLUMNS =
  'id, username, channel_key, ticket_id, state_key, change_type, severity, subject, reason, mode, status, created_at, deliver_after, attempts, last_error, sent_at';

const toNotification = (row: NotificationRow): StoredNotification => ({
  id: Number(row.id),
  username: row.username,
  channelKey: row.channel_key,
  ticket: JSON.parse(row.subject) as TicketChangeSubject,
  stateKey: row.state_key,
  changeType: row.change_type as TicketChangeType,
  reason: row.reason,
  mode: row.mode as DeliveryMode,
  status: row.status as NotificationStatus,
  createdAt: row.created_at,
  deliverAfter: row.deliver_after,
  attempts: Number(row.attempts),
  ...(row.last_error ? { lastError: row.last_error } : {}),
  ...(row.sent_at ? { sentAt: row.sent_at } : {}),
});

export interface StoredPreferences {
  preferences: UserNotificationPreferences;
  source: 'file' | 'api';
  updatedAt: string;
}

/** The notify module's tables: preferences per user, and the outbox of notifications. */
export class NotificationStore {
  constructor(private readonly db: SqlDatabase) {}

  async preferences(username: string): Promise<StoredPreferences | undefined> {
    const row = await this.db.get<{ preferences: string; source: 'file' | 'api'; updated_at: string }>(
      'SELECT preferences, source, updated_at FROM notify_preferences WHERE username = ?',
      [username],
    );
    return row
      ? {
          preferences: JSON.parse(row.preferences) as UserNotificationPreferences,
          source: row.source,
          updatedAt: row.updated_at,
        }
      : undefined;
  }

  async allPreferences(): Promise<Map<string, UserNotificationPreferences>> {
    const rows = await this.db.all<{ username: string; preferences: string }>(
      'SELECT username, preferences FROM notify_preferences',
    );
    return new Map(rows.map((r) => [r.username, JSON.parse(r.preferences) as UserNotificationPreferences]));
  }

  /** The API's preferences always win; the file's replace only what the file wrote before. */
  async savePreferences(
    username: string,
    preferences: UserNotificationPreferences,
    source: 'file' | 'api',
    at: string,
  ): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO notify_preferences (username, preferences, source, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET preferences = excluded.preferences, source = excluded.source,
         updated_at = excluded.updated_at
       WHERE excluded.source = 'api' OR notify_preferences.source = 'file'`,
      [username, JSON.stringify(preferences), source, at],
    );
    return changed > 0;
  }

  /** Adds notifications; one already there for the same user, channel, ticket and state is skipped. */
  async add(notifications: readonly NewNotification[]): Promise<number> {
    if (notifications.length === 0) return 0;
    const values = notifications.flatMap((n) => [
      n.username,
      n.channelKey,
      n.ticket.id,
      n.stateKey,
      n.changeType,
      n.ticket.severity,
      JSON.stringify(n.ticket),
      n.reason,
      n.mode,
      'pending',
      n.createdAt,
      n.deliverAfter,
    ]);
    return this.db.run(
      `INSERT INTO notifications (username, channel_key, ticket_id, state_key, change_type, severity, subject,
         reason, mode, status, created_at, deliver_after)
       VALUES ${rowPlaceholders(notifications.length, 12)}
       ON CONFLICT (username, channel_key, ticket_id, state_key) DO NOTHING`,
      values,
    );
  }

  /** Pending notifications whose time has come, oldest first. */
  async due(nowIso: string, limit = 200): Promise<StoredNotification[]> {
    const rows = await this.db.all<NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications WHERE status = 'pending' AND deliver_after <= ?
       ORDER BY id LIMIT ${Math.floor(limit)}`,
      [nowIso],
    );
    return rows.map(toNotification);
  }

  /**
   * Takes a notification for one delivery attempt: counts the attempt and pushes its time out by a
   * lease, conditional on what was read, so a second cloud instance never sends it too.
   */
  async claim(n: StoredNotification, leaseUntilIso: string): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE notifications SET attempts = attempts + 1, deliver_after = ?
       WHERE id = ? AND status = 'pending' AND attempts = ? AND deliver_after = ?`,
      [leaseUntilIso, n.id, n.attempts, n.deliverAfter],
    );
    return changed > 0;
  }

  async markSent(ids: readonly number[], atIso: string): Promise<void> {
    for (const id of ids) {
      await this.db.run(
        `UPDATE notifications SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?`,
        [atIso, id],
      );
    }
  }

  /** A failed attempt: try again at `retryAtIso`, or give up (status failed) when undefined. */
  async markFailed(ids: readonly number[], error: string, retryAtIso: string | undefined): Promise<void> {
    for (const id of ids) {
      await this.db.run(
        `UPDATE notifications SET status = ?, last_error = ?, deliver_after = COALESCE(?, deliver_after)
         WHERE id = ?`,
        [retryAtIso ? 'pending' : 'failed', error.slice(0, 1000), retryAtIso ?? null, id],
      );
    }
  }

  /** Recent notifications, newest first: "why did I not get an email?". */
  async list(filter: {
    username?: string;
    status?: NotificationStatus;
    ticketId?: string;
    limit: number;
  }): Promise<StoredNotification[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.username !== undefined) {
      where.push('username = ?');
      params.push(filter.username);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.ticketId !== undefined) {
      where.push('ticket_id = ?');
      params.push(filter.ticketId);
    }
    const rows = await this.db.all<NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ${Math.floor(filter.limit)}`,
      params,
    );
    return rows.map(toNotification);
  }
}
