import { Gauge, type Registry } from 'prom-client';
import type { SqlDatabase } from './store/sql-database.js';

type Labels = Record<string, string>;

/** A gauge read from the database at scrape time: the same figures whichever instance is scraped. */
function tableGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Promise<{ labels: Labels; value: number }[]>,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { labels, value } of await read()) this.set(labels, value);
    },
  });
}

/**
 * What routing, notifications and the event bus have done and how far behind they are. Their
 * state lives in the database (several instances share the work), so it is read from there.
 */
export function registerIntegrationMetrics(registry: Registry, db: SqlDatabase): void {
  tableGauge(
    registry,
    'plantwatch_cloud_change_consumer_lag',
    'Ticket changes a consumer (routing, notifications, a webhook, MQTT, CMMS) has not passed yet',
    ['consumer'],
    async () =>
      (
        await db.all<{ name: string; lag: number | string }>(
          `SELECT name, coalesce((SELECT max(id) FROM ticket_changes), 0) - cursor AS lag FROM change_consumers`,
        )
      ).map((r) => ({ labels: { consumer: r.name }, value: Math.max(0, Number(r.lag)) })),
  );
  tableGauge(
    registry,
    'plantwatch_cloud_notifications',
    'Notifications by status (pending includes those held for quiet hours or a digest)',
    ['status'],
    async () =>
      (
        await db.all<{ status: string; n: number | string }>(
          'SELECT status, count(*) AS n FROM notifications GROUP BY status',
        )
      ).map((r) => ({ labels: { status: r.status }, value: Number(r.n) })),
  );
  tableGauge(
    registry,
    'plantwatch_cloud_webhook_deliveries',
    'Webhook deliveries per subscription: delivered, and failed attempts',
    ['webhook', 'result'],
    async () =>
      (
        await db.all<{ id: number | string; name: string | null; delivered: number; failures: number }>(
          'SELECT id, name, delivered, failures FROM webhook_subscriptions',
        )
      ).flatMap((r) => {
        const webhook = r.name ?? String(r.id);
        return [
          { labels: { webhook, result: 'delivered' }, value: Number(r.delivered) },
          { labels: { webhook, result: 'failed_attempt' }, value: Number(r.failures) },
        ];
      }),
  );
  tableGauge(
    registry,
    'plantwatch_cloud_routing_tickets',
    'Tickets routing assigned (routed), escalated, or could not assign (unrouted)',
    ['outcome'],
    async () =>
      (await db.all<{ name: string; count: number | string }>('SELECT name, count FROM routing_counts')).map(
        (r) => ({ labels: { outcome: r.name }, value: Number(r.count) }),
      ),
  );
}
