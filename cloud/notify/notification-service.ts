import type { Severity } from '../../shared/schema/ticket.js';
import type { TicketChange } from '../../shared/schema/index.js';
import { backoffDelayMs } from '../../shared/backoff.js';
import { startChangeConsumer } from '../tickets/change-consumer.js';
import type { CloudWorker } from '../cloud-module.js';
import { type CloudServices, ticketLink } from '../services.js';
import { emailSender } from './channels/email.js';
import { mqttPublisher } from './channels/mqtt.js';
import { postWebhook } from './channels/webhook.js';
import { digestMessage, type NotificationItem, notificationMessage } from './message.js';
import {
  type NotificationChannel,
  type NotificationsConfig,
  notifyDurationMs,
  type UserNotificationPreferences,
} from './notify-config.js';
import { type NewNotification, NotificationStore, type StoredNotification } from './notification-store.js';
import { isTimeZone } from '../zoned-time.js';
import { outsideQuietHours } from './quiet-hours.js';
import { channelKey, passesMinSeverity, recipientsOf } from './recipients.js';

/** Tells people about ticket changes on their channels: email, webhook, MQTT. */
export interface NotificationService extends CloudWorker {
  /** Sends what is due now (deferred past quiet hours, digests; also run on a timer); returns how many. */
  deliverDue(): Promise<number>;
  store: NotificationStore;
}

export const NOTIFICATION_SCHEMA = 'plantwatch.notification/v1';
/** Attempts before a notification is given up (status failed, last_error kept). */
export const MAX_ATTEMPTS = 10;
const RETRY = { initialMs: 30_000, maxMs: 30 * 60_000 };
/** How long one attempt holds a notification before another instance may try it. */
const CLAIM_LEASE_MS = 2 * 60_000;
const TICK_MS = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/** Where a non-critical notification waits: the end of quiet hours, or the next digest. */
export function deliverAfter(
  nowMs: number,
  severity: Severity,
  mode: 'single' | 'digest',
  preferences: UserNotificationPreferences,
  digestEveryMs: number,
): number {
  if (mode === 'digest') {
    const boundary = Math.floor(nowMs / digestEveryMs) * digestEveryMs + digestEveryMs;
    return outsideQuietHours(boundary, preferences.quietHours);
  }
  return severity === 'critical' ? nowMs : outsideQuietHours(nowMs, preferences.quietHours);
}

/** Starts notifications with the `notifications:` section of cloud.yaml. */
export async function startNotifications(
  services: CloudServices,
  fileConfig: NotificationsConfig | undefined,
): Promise<NotificationService> {
  const { logger: rootLogger, clock } = services;
  const logger = rootLogger.child({ module: 'notifications' });
  const config = fileConfig ?? {};
  const digestEveryMs = notifyDurationMs(config.digestEvery ?? '1h');
  const store = new NotificationStore(services.store.database);
  const email = emailSender(config.smtp);
  const mqtt = mqttPublisher(config.mqtt);

  for (const [username, preferences] of Object.entries(config.users ?? {})) {
    const timezone = preferences.quietHours?.timezone;
    if (timezone !== undefined && !isTimeZone(timezone)) {
      throw new Error(
        `notifications.users.${username}.quietHours.timezone: '${timezone}' is not a time zone; use an IANA name like Europe/Berlin`,
      );
    }
  }
  // The file's users are written at startup, unless the API has set that user's preferences.
  for (const [username, preferences] of Object.entries(config.users ?? {})) {
    await store.savePreferences(username, preferences, 'file', iso(clock.now()));
  }

  async function handle(change: TicketChange): Promise<void> {
    const preferences = await store.allPreferences();
    // Nobody asked to be told anything: no need to read who can see what.
    if (preferences.size === 0) return;
    const users = await services.store.access.listUsers();
    const recipients = recipientsOf(
      change,
      users.map((u) => ({ username: u.username, sites: u.sites, disabled: u.disabledAt !== undefined })),
      preferences,
    );
    const nowMs = clock.now();
    const rows: NewNotification[] = [];
    for (const recipient of recipients) {
      const prefs = preferences.get(recipient.username);
      if (!prefs) continue;
      const { severity } = change.ticket;
      const mode = prefs.digest?.includes(severity) || change.ticket.historical ? 'digest' : 'single';
      for (const channel of prefs.channels) {
        if (!passesMinSeverity(channel, severity)) continue;
        rows.push({
          username: recipient.username,
          channelKey: channelKey(channel),
          ticket: change.ticket,
          stateKey: recipient.stateKey,
          changeType: change.type,
          reason: recipient.reason,
          mode,
          createdAt: iso(nowMs),
          deliverAfter: iso(deliverAfter(nowMs, severity, mode, prefs, digestEveryMs)),
        });
      }
    }
    const added = await store.add(rows);
    if (added > 0) {
      logger.debug({ ticketId: change.ticket.id, type: change.type, added }, 'notifications queued');
      void deliverDue().catch(() => undefined);
    }
  }

  const itemOf = (n: StoredNotification): NotificationItem => ({
    ticket: n.ticket,
    changeType: n.changeType,
    stateKey: n.stateKey,
    reason: n.reason,
    link: ticketLink(services, n.ticket.id),
  });

  async function send(username: string, channel: NotificationChannel, batch: StoredNotification[]) {
    const items = batch.map(itemOf);
    const digest = batch[0]?.mode === 'digest';
    const message = digest ? digestMessage(items) : notificationMessage(items[0]!);
    const payload = digest
      ? {
          schema: NOTIFICATION_SCHEMA,
          user: username,
          digest: true,
          items: [...new Map(items.map((i) => [i.ticket.id, i])).values()].map((i) => ({
            ticket: i.ticket,
            change: i.changeType,
            state: i.stateKey,
            link: i.link,
          })),
          subject: message.subject,
          text: message.text,
        }
      : {
          schema: NOTIFICATION_SCHEMA,
          user: username,
          ticket: items[0]!.ticket,
          change: items[0]!.changeType,
          state: items[0]!.stateKey,
          link: items[0]!.link,
          subject: message.subject,
          text: message.text,
        };
    switch (channel.kind) {
      case 'email':
        return email.send(channel.to, message);
      case 'webhook':
        return postWebhook(channel.url, channel.secret, JSON.stringify(payload));
      case 'mqtt':
        return mqtt.publish(channel.topic, JSON.stringify(payload));
    }
  }

  /** Sends one message (a notification, or a digest of several) and records the outcome. */
  async function attempt(batch: StoredNotification[], prefs: UserNotificationPreferences | undefined) {
    const first = batch[0]!;
    const nowMs = clock.now();
    const claimed: StoredNotification[] = [];
    for (const n of batch) if (await store.claim(n, iso(nowMs + CLAIM_LEASE_MS))) claimed.push(n);
    if (claimed.length === 0) return 0;
    const ids = claimed.map((n) => n.id);
    const channel = prefs?.channels.find((c) => channelKey(c) === first.channelKey);
    if (!channel) {
      await store.markFailed(
        ids,
        `channel ${first.channelKey} is no longer in the user's preferences`,
        undefined,
      );
      return 0;
    }
    try {
      await send(first.username, channel, claimed);
      await store.markSent(ids, iso(clock.now()));
      return 1;
    } catch (error) {
      const attempts = Math.max(...claimed.map((n) => n.attempts)) + 1;
      const message = error instanceof Error ? error.message : String(error);
      const retryAt =
        attempts >= MAX_ATTEMPTS ? undefined : iso(clock.now() + backoffDelayMs(RETRY, attempts - 1));
      await store.markFailed(ids, message, retryAt);
      // The channel key names the address, never a secret.
      logger.warn(
        { username: first.username, channel: first.channelKey, attempts, retryAt, error: message },
        retryAt ? 'notification failed; will retry' : 'notification failed; giving up',
      );
      return 0;
    }
  }

  async function deliverOnce(): Promise<number> {
    const due = await store.due(iso(clock.now()));
    if (due.length === 0) return 0;
    const preferences = await store.allPreferences();
    let sent = 0;
    const digests = new Map<string, StoredNotification[]>();
    for (const n of due) {
      if (n.mode === 'single') {
        sent += await attempt([n], preferences.get(n.username));
      } else {
        const key = `${n.username}\u0000${n.channelKey}`;
        digests.set(key, [...(digests.get(key) ?? []), n]);
      }
    }
    for (const batch of digests.values()) sent += await attempt(batch, preferences.get(batch[0]!.username));
    return sent;
  }

  // One delivery round at a time in this instance; claims keep other instances out.
  let chain: Promise<number> = Promise.resolve(0);
  function deliverDue(): Promise<number> {
    const run = chain.then(deliverOnce, deliverOnce);
    chain = run.catch((error: unknown) => {
      logger.error(
        { error: error instanceof Error ? error.message : String(error) },
        'delivery round failed',
      );
      return 0;
    });
    return run;
  }

  const consumer = startChangeConsumer({
    name: 'notifications',
    db: services.store.database,
    feed: services.store.changes,
    logger,
    handle,
    types: [
      'ticket.opened',
      'ticket.assigned',
      'ticket.escalated',
      'ticket.transitioned',
      'ticket.cleared',
      'ticket.commented',
      'ticket.severity_raised',
    ],
  });
  const timer = setInterval(() => void deliverDue().catch(() => undefined), TICK_MS);
  timer.unref();

  return {
    store,
    deliverDue,
    async idle() {
      await consumer.idle();
      await chain;
    },
    async stop() {
      clearInterval(timer);
      await consumer.stop();
      await chain;
      email.close();
      await mqtt.close();
    },
  };
}
