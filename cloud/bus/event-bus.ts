import type { TicketChange, TicketChangePage } from '../../shared/schema/index.js';
import type { ChangeQuery } from '../tickets/ticket-changes.js';
import type { CloudWorker } from '../cloud-module.js';
import type { CloudServices } from '../services.js';
import { type BusConfig, type BusSettings, resolveBusConfig } from './bus-config.js';
import {
  type ConsumerHealth,
  type RunningConsumer,
  startChangeConsumer,
} from '../tickets/change-consumer.js';
import { MqttPublisher } from './mqtt-publisher.js';
import { deliverWebhook } from './webhook-delivery.js';
import {
  type NewWebhook,
  webhookConsumerName,
  type WebhookCounters,
  type WebhookSubscription,
  WebhookSubscriptions,
} from './webhook-subscriptions.js';

/** A subscription as the API lists it: no secret, and how its deliveries are going. */
export interface WebhookStatus extends Omit<WebhookSubscription, 'secret'>, WebhookCounters {
  /** Changes for it logged after its cursor: how far behind it is. */
  lag: number;
  /** Whether this instance works its consumer (with several instances, one does). */
  leader: boolean;
  nextAttemptAt?: string;
}

/** Publishes every ticket change: signed webhooks with retries, and an MQTT topic per site. */
export interface EventBus extends CloudWorker {
  readonly settings: BusSettings;
  readonly subscriptions: WebhookSubscriptions;
  /** The change log from a cursor (the replay endpoint); a cursor not given out throws RangeError. */
  replay(query: ChangeQuery): Promise<TicketChangePage>;
  /** Creates a subscription and starts delivering to it at once; the secret is in the result. */
  createWebhook(input: NewWebhook, createdBy: string): Promise<WebhookSubscription>;
  /** Stops and deletes a subscription; false when there was none. */
  deleteWebhook(id: number): Promise<boolean>;
  webhookStatus(): Promise<WebhookStatus[]>;
  /** The MQTT consumer's health, when a broker is configured. */
  mqttHealth(): (ConsumerHealth & { connected: boolean }) | undefined;
  /** Re-reads the subscriptions table (other instances' changes); runs every poll interval. */
  refresh(): Promise<void>;
}

interface RunningWebhook {
  subscription: WebhookSubscription;
  consumer: RunningConsumer;
}

/** Starts the bus with the `bus:` section of cloud.yaml. */
export async function startEventBus(
  services: CloudServices,
  config: BusConfig | undefined,
): Promise<EventBus> {
  const settings = resolveBusConfig(config);
  const { store, logger } = services;
  const subscriptions = new WebhookSubscriptions(store.database);
  const running = new Map<number, RunningWebhook>();
  const now = () => new Date(services.clock.now()).toISOString();

  const consumerOptions = {
    db: store.database,
    feed: store.changes,
    logger,
    pollMs: settings.pollMs,
    retry: settings.retry,
  };

  function startWebhook(subscription: WebhookSubscription): RunningWebhook {
    const { id } = subscription;
    const consumer = startChangeConsumer({
      ...consumerOptions,
      name: webhookConsumerName(id),
      ...(subscription.types ? { types: subscription.types } : {}),
      async handle(change: TicketChange) {
        if (subscription.sites && !subscription.sites.includes(change.ticket.site)) return;
        // Deleted on another instance since the last refresh: deliver nothing more.
        if (!(await subscriptions.exists(id))) return;
        try {
          await deliverWebhook(subscription, change, { timeoutMs: settings.timeoutMs });
        } catch (error) {
          await subscriptions.recordFailure(id, (error as Error).message).catch(() => undefined);
          throw error;
        }
        await subscriptions.recordDelivered(id, now());
      },
    });
    return { subscription, consumer };
  }

  async function stopWebhook(id: number): Promise<void> {
    const webhook = running.get(id);
    if (!webhook) return;
    running.delete(id);
    await webhook.consumer.stop();
  }

  // One reconciliation at a time: an API call and the periodic refresh must not both start a consumer.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const reconcile = () =>
    serially(async () => {
      const wanted = new Map((await subscriptions.list()).map((s) => [s.id, s]));
      for (const [id, webhook] of running) {
        const now = wanted.get(id);
        // Gone, or edited (the config file's url or secret): restart with what is stored.
        if (!now || JSON.stringify(now) !== JSON.stringify(webhook.subscription)) {
          await stopWebhook(id);
          // Its consumer may have re-created the cursor row while stopping.
          if (!now) await subscriptions.forgetCursor(id);
        }
      }
      for (const [id, subscription] of wanted) {
        if (!running.has(id)) running.set(id, startWebhook(subscription));
      }
    });

  try {
    await subscriptions.syncConfigured(settings.webhooks, now());
    await reconcile();
  } catch (error) {
    await Promise.all([...running.keys()].map((id) => stopWebhook(id)));
    throw error;
  }
  let publisher: MqttPublisher | undefined;
  let mqttConsumer: RunningConsumer | undefined;
  if (settings.mqtt) {
    publisher = new MqttPublisher(settings.mqtt, logger, settings.timeoutMs);
    const mqttPublisher = publisher;
    mqttConsumer = startChangeConsumer({
      ...consumerOptions,
      name: 'mqtt-bus',
      handle: (change) => mqttPublisher.publish(change),
    });
  }

  const refreshTimer = setInterval(() => {
    reconcile().catch((error: unknown) =>
      logger.error(
        { err: (error as Error).message },
        'event bus could not re-read the webhook subscriptions',
      ),
    );
  }, settings.pollMs);
  refreshTimer.unref();
  const prune = () =>
    services.store.changes
      .prune(new Date(services.clock.now() - settings.retainChangesMs).toISOString())
      .then((removed) => {
        if (removed > 0) logger.info({ removed }, 'change log: changes past their retention removed');
      })
      .catch((error: unknown) =>
        logger.error({ err: (error as Error).message }, 'change log: pruning failed; it retries in an hour'),
      );
  const pruneTimer = setInterval(() => void prune(), 3_600_000);
  pruneTimer.unref();
  void prune();

  const bus: EventBus = {
    settings,
    subscriptions,
    replay: (query) => store.changes.read(query),
    async createWebhook(input, createdBy) {
      const subscription = await subscriptions.create(input, createdBy, now());
      await reconcile();
      logger.info(
        { webhook: subscription.id, url: subscription.url, by: createdBy },
        'webhook subscription created',
      );
      return subscription;
    },
    deleteWebhook: (id) =>
      serially(async () => {
        await stopWebhook(id);
        const removed = await subscriptions.remove(id);
        if (removed) logger.info({ webhook: id }, 'webhook subscription deleted');
        return removed;
      }),
    async webhookStatus() {
      const [list, counters] = await Promise.all([subscriptions.list(), subscriptions.counters()]);
      return Promise.all(
        list.map(async ({ secret: _secret, ...subscription }) => {
          const counter = counters.get(subscription.id) ?? {
            cursor: '0',
            delivered: 0,
            failures: 0,
            consecutiveFailures: 0,
          };
          const health = running.get(subscription.id)?.consumer.health();
          return {
            ...subscription,
            ...counter,
            lag: await subscriptions.lag({ ...subscription, secret: '' }, counter.cursor),
            leader: health?.leader ?? false,
            ...(health?.nextAttemptAt ? { nextAttemptAt: health.nextAttemptAt } : {}),
          };
        }),
      );
    },
    mqttHealth: () =>
      mqttConsumer && publisher ? { ...mqttConsumer.health(), connected: publisher.connected } : undefined,
    refresh: reconcile,
    async idle() {
      await queue;
      const consumers = [...running.values()].map((w) => w.consumer);
      if (mqttConsumer) consumers.push(mqttConsumer);
      await Promise.all(consumers.map((c) => c.idle()));
    },
    async stop() {
      clearInterval(refreshTimer);
      clearInterval(pruneTimer);
      await serially(async () => {
        await Promise.all([...running.keys()].map((id) => stopWebhook(id)));
      });
      await mqttConsumer?.stop();
      await publisher?.close();
    },
  };
  return bus;
}
