import { randomBytes } from 'node:crypto';
import type { TicketChangeType } from '../../shared/schema/index.js';
import type { SqlDatabase, SqlExecutor, SqlValue } from '../store/sql-database.js';
import type { ConfiguredWebhook } from './bus-config.js';

/** A webhook subscription as stored: where to POST, the signing secret, and what it wants. */
export interface WebhookSubscription {
  id: number;
  /** Set for subscriptions kept in the config file. */
  name?: string;
  url: string;
  secret: string;
  sites?: string[];
  types?: TicketChangeType[];
  description?: string;
  createdAt: string;
  createdBy: string;
}

/** Delivery counters, shared by every cloud instance through the table. */
export interface WebhookCounters {
  cursor: string;
  delivered: number;
  failures: number;
  consecutiveFailures: number;
  lastError?: string;
  lastDeliveredAt?: string;
}

export interface NewWebhook {
  url: string;
  sites?: readonly string[];
  types?: readonly TicketChangeType[];
  from?: 'now' | 'beginning';
  description?: string;
}

/** The consumer (and its cursor in change_consumers) of a subscription. */
export const webhookConsumerName = (id: number): string => `webhook:${id}`;

/** 256 random bits; the prefix tells what it is in a config file or a secret scanner. */
export const newWebhookSecret = (): string => `pwwh_${randomBytes(32).toString('base64url')}`;

interface SubscriptionRow {
  id: number | string;
  name: string | null;
  url: string;
  secret: string;
  sites: string | null;
  types: string | null;
  description: string | null;
  created_at: string;
  created_by: string;
}

interface CounterRow {
  id: number | string;
  cursor: number | string | null;
  delivered: number | string;
  failures: number | string;
  consecutive_failures: number | string;
  last_error: string | null;
  last_delivered_at: string | null;
}

const COLUMNS = 'id, name, url, secret, sites, types, description, created_at, created_by';

const toSubscription = (row: SubscriptionRow): WebhookSubscription => ({
  id: Number(row.id),
  ...(row.name !== null ? { name: row.name } : {}),
  url: row.url,
  secret: row.secret,
  ...(row.sites !== null ? { sites: JSON.parse(row.sites) as string[] } : {}),
  ...(row.types !== null ? { types: JSON.parse(row.types) as TicketChangeType[] } : {}),
  ...(row.description !== null ? { description: row.description } : {}),
  createdAt: row.created_at,
  createdBy: row.created_by,
});

const listOrNull = (list: readonly string[] | undefined): string | null =>
  list && list.length > 0 ? JSON.stringify([...new Set(list)]) : null;

/**
 * Where a new subscription's consumer starts, written with the subscription so no change made
 * between the reply and the consumer's first pass is missed (`now`) or skipped (`beginning`).
 */
async function placeCursor(tx: SqlExecutor, id: number, from: 'now' | 'beginning'): Promise<void> {
  const latest = await tx.get<{ id: number | string | null }>('SELECT max(id) AS id FROM ticket_changes');
  await tx.run('INSERT INTO change_consumers (name, cursor) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [
    webhookConsumerName(id),
    from === 'beginning' ? 0 : Number(latest?.id ?? 0),
  ]);
}

/** The webhook_subscriptions table. */
export class WebhookSubscriptions {
  constructor(private readonly db: SqlDatabase) {}

  async create(input: NewWebhook, createdBy: string, now: string): Promise<WebhookSubscription> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<SubscriptionRow>(
        `INSERT INTO webhook_subscriptions (url, secret, sites, types, description, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
        [
          input.url,
          newWebhookSecret(),
          listOrNull(input.sites),
          listOrNull(input.types),
          input.description ?? null,
          now,
          createdBy,
        ],
      );
      if (!row) throw new Error('inserting a webhook subscription returned no row');
      await placeCursor(tx, Number(row.id), input.from ?? 'now');
      return toSubscription(row);
    });
  }

  /**
   * Makes the table hold exactly the config file's webhooks (by name), keeping the cursors of
   * those that stay; API-made subscriptions (no name) are left alone.
   */
  async syncConfigured(webhooks: readonly ConfiguredWebhook[], now: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const webhook of webhooks) {
        const row = await tx.get<{ id: number | string }>(
          `INSERT INTO webhook_subscriptions (name, url, secret, sites, types, description, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'config')
             ON CONFLICT (name) DO UPDATE SET url = excluded.url, secret = excluded.secret,
               sites = excluded.sites, types = excluded.types, description = excluded.description
             RETURNING id`,
          [
            webhook.name,
            webhook.url,
            webhook.secret,
            listOrNull(webhook.sites),
            listOrNull(webhook.types),
            webhook.description ?? null,
            now,
          ],
        );
        if (row) await placeCursor(tx, Number(row.id), webhook.from ?? 'now');
      }
      const names = webhooks.map((w) => w.name);
      const gone = await tx.all<{ id: number | string }>(
        `SELECT id FROM webhook_subscriptions WHERE name IS NOT NULL${
          names.length ? ` AND name NOT IN (${names.map(() => '?').join(', ')})` : ''
        }`,
        names,
      );
      for (const { id } of gone) await removeInTransaction(tx, Number(id));
    });
  }

  async list(): Promise<WebhookSubscription[]> {
    const rows = await this.db.all<SubscriptionRow>(
      `SELECT ${COLUMNS} FROM webhook_subscriptions ORDER BY id`,
    );
    return rows.map(toSubscription);
  }

  async exists(id: number): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM webhook_subscriptions WHERE id = ?', [id])) !== undefined;
  }

  /** Deletes the subscription and its cursor; false when there was none. */
  async remove(id: number): Promise<boolean> {
    return this.db.transaction((tx) => removeInTransaction(tx, id));
  }

  /** Forgets the cursor of a subscription that is gone (its consumer may have re-created it). */
  async forgetCursor(id: number): Promise<void> {
    await this.db.run('DELETE FROM change_consumers WHERE name = ?', [webhookConsumerName(id)]);
  }

  async recordDelivered(id: number, at: string): Promise<void> {
    await this.db.run(
      `UPDATE webhook_subscriptions SET delivered = delivered + 1, consecutive_failures = 0,
         last_error = NULL, last_delivered_at = ? WHERE id = ?`,
      [at, id],
    );
  }

  async recordFailure(id: number, error: string): Promise<void> {
    await this.db.run(
      `UPDATE webhook_subscriptions SET failures = failures + 1,
         consecutive_failures = consecutive_failures + 1, last_error = ? WHERE id = ?`,
      [error.slice(0, 1000), id],
    );
  }

  /** Each subscription's counters and cursor, by id. */
  async counters(): Promise<Map<number, WebhookCounters>> {
    const rows = await this.db.all<CounterRow>(
      `SELECT s.id, c.cursor, s.delivered, s.failures, s.consecutive_failures, s.last_error, s.last_delivered_at
         FROM webhook_subscriptions s LEFT JOIN change_consumers c ON c.name = ${
           this.db.dialect === 'postgres' ? `'webhook:' || s.id::text` : `'webhook:' || s.id`
         }`,
    );
    return new Map(
      rows.map((r) => [
        Number(r.id),
        {
          cursor: String(r.cursor ?? 0),
          delivered: Number(r.delivered),
          failures: Number(r.failures),
          consecutiveFailures: Number(r.consecutive_failures),
          ...(r.last_error !== null ? { lastError: r.last_error } : {}),
          ...(r.last_delivered_at !== null ? { lastDeliveredAt: r.last_delivered_at } : {}),
        },
      ]),
    );
  }

  /** How many changes the subscription still has to deliver after its cursor. */
  async lag(subscription: WebhookSubscription, cursor: string): Promise<number> {
    const where = ['id > ?'];
    const params: SqlValue[] = [Number(cursor)];
    if (subscription.sites) {
      where.push(`site IN (${subscription.sites.map(() => '?').join(', ')})`);
      params.push(...subscription.sites);
    }
    if (subscription.types) {
      where.push(`type IN (${subscription.types.map(() => '?').join(', ')})`);
      params.push(...subscription.types);
    }
    const row = await this.db.get<{ n: number | string }>(
      `SELECT count(*) AS n FROM ticket_changes WHERE ${where.join(' AND ')}`,
      params,
    );
    return Number(row?.n ?? 0);
  }
}

async function removeInTransaction(tx: SqlExecutor, id: number): Promise<boolean> {
  const removed = await tx.run('DELETE FROM webhook_subscriptions WHERE id = ?', [id]);
  await tx.run('DELETE FROM change_consumers WHERE name = ?', [webhookConsumerName(id)]);
  return removed > 0;
}
