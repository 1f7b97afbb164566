import type { Severity } from '../../shared/schema/index.js';
import { OPEN_STATUSES } from '../tickets/ticket-lifecycle.js';
import { placeholders, type SqlDatabase } from '../store/sql-database.js';
import type { RoutingConfig } from './routing-config.js';

/** The routing module's tables: the API's config, escalation state, tie-breaks and counters. */

export interface StoredRoutingConfig {
  config: RoutingConfig;
  updatedAt: string;
  updatedBy: string;
}

export interface Escalation {
  ticketId: string;
  site: string;
  rule: string;
  skill?: string;
  severity: Severity;
  /** 0 while with whom routing chose; n after the nth escalation. */
  level: number;
  deadlineAt: string;
  /** Who had the ticket before, and did not acknowledge it. */
  tried: string[];
  /** The site lead has it: nothing left to escalate to. */
  done: boolean;
}

interface EscalationRow {
  ticket_id: string;
  site: string;
  rule: string;
  skill: string | null;
  severity: Severity;
  level: number | string;
  deadline_at: string;
  tried: string;
  done: number | string;
}

const escalation = (row: EscalationRow): Escalation => ({
  ticketId: row.ticket_id,
  site: row.site,
  rule: row.rule,
  ...(row.skill !== null ? { skill: row.skill } : {}),
  severity: row.severity,
  level: Number(row.level),
  deadlineAt: row.deadline_at,
  tried: JSON.parse(row.tried) as string[],
  done: Number(row.done) === 1,
});

export type RoutingCount = 'routed' | 'escalated' | 'unrouted';

export class RoutingStore {
  constructor(private readonly db: SqlDatabase) {}

  async readConfig(): Promise<StoredRoutingConfig | undefined> {
    const row = await this.db.get<{ body: string; updated_at: string; updated_by: string }>(
      'SELECT body, updated_at, updated_by FROM routing_config WHERE id = 1',
    );
    return row
      ? {
          config: JSON.parse(row.body) as RoutingConfig,
          updatedAt: row.updated_at,
          updatedBy: row.updated_by,
        }
      : undefined;
  }

  async writeConfig(config: RoutingConfig, updatedBy: string, updatedAt: string): Promise<void> {
    await this.db.run(
      `INSERT INTO routing_config (id, body, updated_at, updated_by) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
      [JSON.stringify(config), updatedAt, updatedBy],
    );
  }

  /** The asset's group in the asset registry (filled by bulk import), if any. */
  async registryGroup(assetId: string): Promise<string | null> {
    const row = await this.db.get<{ asset_group: string | null }>(
      'SELECT asset_group FROM assets WHERE asset_id = ?',
      [assetId],
    );
    return row?.asset_group ?? null;
  }

  async openTickets(usernames: readonly string[]): Promise<Map<string, number>> {
    if (usernames.length === 0) return new Map();
    const rows = await this.db.all<{ assignee: string; n: number | string }>(
      `SELECT assignee, COUNT(*) AS n FROM tickets
         WHERE assignee IN (${placeholders(usernames.length)}) AND status IN (${placeholders(OPEN_STATUSES.length)})
         GROUP BY assignee`,
      [...usernames, ...OPEN_STATUSES],
    );
    return new Map(rows.map((r) => [r.assignee, Number(r.n)]));
  }

  async lastAssigned(usernames: readonly string[]): Promise<Map<string, string>> {
    if (usernames.length === 0) return new Map();
    const rows = await this.db.all<{ username: string; last_assigned_at: string }>(
      `SELECT username, last_assigned_at FROM routing_engineers WHERE username IN (${placeholders(usernames.length)})`,
      usernames,
    );
    return new Map(rows.map((r) => [r.username, r.last_assigned_at]));
  }

  async markAssigned(username: string, at: string): Promise<void> {
    await this.db.run(
      `INSERT INTO routing_engineers (username, last_assigned_at) VALUES (?, ?)
         ON CONFLICT (username) DO UPDATE SET last_assigned_at = excluded.last_assigned_at`,
      [username, at],
    );
  }

  async count(name: RoutingCount): Promise<void> {
    await this.db.run(
      `INSERT INTO routing_counts (name, count) VALUES (?, 1)
         ON CONFLICT (name) DO UPDATE SET count = routing_counts.count + 1`,
      [name],
    );
  }

  async counts(): Promise<Record<RoutingCount, number>> {
    const rows = await this.db.all<{ name: RoutingCount; count: number | string }>(
      'SELECT name, count FROM routing_counts',
    );
    const counts: Record<RoutingCount, number> = { routed: 0, escalated: 0, unrouted: 0 };
    for (const r of rows) counts[r.name] = Number(r.count);
    return counts;
  }

  /** Starts watching a routed ticket; a second call for the same ticket (a redelivery) changes nothing. */
  async startEscalation(e: Omit<Escalation, 'level' | 'tried' | 'done'>): Promise<void> {
    await this.db.run(
      `INSERT INTO routing_escalations (ticket_id, site, rule, skill, severity, level, deadline_at, tried, done)
         VALUES (?, ?, ?, ?, ?, 0, ?, '[]', 0) ON CONFLICT (ticket_id) DO NOTHING`,
      [e.ticketId, e.site, e.rule, e.skill ?? null, e.severity, e.deadlineAt],
    );
  }

  async escalation(ticketId: string): Promise<Escalation | undefined> {
    const row = await this.db.get<EscalationRow>('SELECT * FROM routing_escalations WHERE ticket_id = ?', [
      ticketId,
    ]);
    return row ? escalation(row) : undefined;
  }

  /** Escalations whose deadline passed, except the finished and the paused. */
  async due(nowIso: string, limit = 200): Promise<Escalation[]> {
    const rows = await this.db.all<EscalationRow>(
      `SELECT * FROM routing_escalations WHERE done = 0 AND paused_at IS NULL AND deadline_at <= ?
         ORDER BY deadline_at LIMIT ?`,
      [nowIso, limit],
    );
    return rows.map(escalation);
  }

  /** Stops the clock of a running escalation; false when there was none to pause. */
  async pause(ticketId: string, at: string): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE routing_escalations SET paused_at = ? WHERE ticket_id = ? AND done = 0 AND paused_at IS NULL',
      [at, ticketId],
    );
    return changed > 0;
  }

  /** Starts a paused escalation again with a fresh deadline; false when it was not paused. */
  async resume(ticketId: string, deadlineAt: string): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE routing_escalations SET paused_at = NULL, deadline_at = ? WHERE ticket_id = ? AND paused_at IS NOT NULL',
      [deadlineAt, ticketId],
    );
    return changed > 0;
  }

  /**
   * A raised ticket is watched by its new severity: the deadline comes forward (never back), the
   * chain runs again if it had ended, under the raise rule when one matched. Without a watch yet,
   * one starts only under a raise rule.
   */
  async rewatch(e: Omit<Escalation, 'level' | 'tried' | 'done' | 'rule'> & { rule?: string }): Promise<void> {
    const sets = [
      'severity = ?',
      'done = 0',
      'paused_at = NULL',
      'deadline_at = CASE WHEN deadline_at < ? THEN deadline_at ELSE ? END',
      ...(e.rule !== undefined ? ['rule = ?', 'skill = ?'] : []),
    ];
    const changed = await this.db.run(
      `UPDATE routing_escalations SET ${sets.join(', ')} WHERE ticket_id = ?`,
      [
        e.severity,
        e.deadlineAt,
        e.deadlineAt,
        ...(e.rule !== undefined ? [e.rule, e.skill ?? null] : []),
        e.ticketId,
      ],
    );
    if (changed === 0 && e.rule !== undefined) await this.startEscalation({ ...e, rule: e.rule });
  }

  /**
   * Moves an escalation on from the level this instance read; false when another instance did
   * first (so only one of them escalates).
   */
  async advance(
    ticketId: string,
    fromLevel: number,
    next: Pick<Escalation, 'level' | 'deadlineAt' | 'tried' | 'done'>,
  ): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE routing_escalations SET level = ?, deadline_at = ?, tried = ?, done = ?
         WHERE ticket_id = ? AND level = ? AND done = 0`,
      [next.level, next.deadlineAt, JSON.stringify(next.tried), next.done ? 1 : 0, ticketId, fromLevel],
    );
    return changed > 0;
  }

  async drop(ticketId: string): Promise<void> {
    await this.db.run('DELETE FROM routing_escalations WHERE ticket_id = ?', [ticketId]);
  }

  async watching(): Promise<number> {
    const row = await this.db.get<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM routing_escalations WHERE done = 0 AND paused_at IS NULL',
    );
    return Number(row?.n ?? 0);
  }

  async paused(): Promise<number> {
    const row = await this.db.get<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM routing_escalations WHERE done = 0 AND paused_at IS NOT NULL',
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Open tickets past `dueBefore` whose overdue escalation has not started or whose next step is
   * due, most overdue first.
   */
  async overdueDue(dueBefore: string, nowIso: string, limit = 200): Promise<OverdueEscalation[]> {
    const rows = await this.db.all<{
      ticket_id: string;
      level: number | string | null;
      tried: string | null;
    }>(
      `SELECT t.id AS ticket_id, o.level, o.tried FROM tickets t
         LEFT JOIN routing_overdue o ON o.ticket_id = t.id
       WHERE t.due_at <= ? AND t.status IN (${placeholders(OPEN_STATUSES.length)})
         AND (o.ticket_id IS NULL OR (o.done = 0 AND o.next_at <= ?))
       ORDER BY t.due_at LIMIT ?`,
      [dueBefore, ...OPEN_STATUSES, nowIso, limit],
    );
    return rows.map((r) => ({
      ticketId: r.ticket_id,
      started: r.level !== null,
      level: Number(r.level ?? 0),
      tried: r.tried ? (JSON.parse(r.tried) as string[]) : [],
    }));
  }

  /**
   * Moves a ticket's overdue escalation on from what this instance read; false when another
   * instance did first.
   */
  async advanceOverdue(
    from: OverdueEscalation,
    next: { level: number; nextAt: string; tried: string[]; done: boolean },
  ): Promise<boolean> {
    const { ticketId } = from;
    const values = [next.level, next.nextAt, JSON.stringify(next.tried), next.done ? 1 : 0];
    const changed = !from.started
      ? await this.db.run(
          `INSERT INTO routing_overdue (level, next_at, tried, done, ticket_id) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (ticket_id) DO NOTHING`,
          [...values, ticketId],
        )
      : await this.db.run(
          `UPDATE routing_overdue SET level = ?, next_at = ?, tried = ?, done = ?
               WHERE ticket_id = ? AND level = ? AND done = 0`,
          [...values, ticketId, from.level],
        );
    return changed > 0;
  }
}

export interface OverdueEscalation {
  ticketId: string;
  /** Whether its row exists (a first step was taken, or it waits). */
  started: boolean;
  /** 0 before the first step. */
  level: number;
  tried: string[];
}
