import { type Static, Type } from '@sinclair/typebox';
import { Duration, durationMs } from '../../shared/duration.js';
import { Severity } from '../../shared/schema/ticket.js';

export const notifyDurationMs = (text: string): number => durationMs(text);

const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, 24 h' });
const MinSeverity = Type.Optional(Severity);

export const EmailChannel = Type.Object(
  {
    kind: Type.Literal('email'),
    to: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254 }),
    minSeverity: MinSeverity,
  },
  { additionalProperties: false },
);
export const WebhookChannel = Type.Object(
  {
    kind: Type.Literal('webhook'),
    url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
    /** Signs each delivery (HMAC-SHA256, headers x-plantwatch-signature / -timestamp). */
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    minSeverity: MinSeverity,
  },
  { additionalProperties: false },
);
export const MqttChannel = Type.Object(
  {
    kind: Type.Literal('mqtt'),
    topic: Type.String({ pattern: '^[^#+]+$', minLength: 1, maxLength: 500 }),
    minSeverity: MinSeverity,
  },
  { additionalProperties: false },
);
export const NotificationChannel = Type.Union([EmailChannel, WebhookChannel, MqttChannel]);
export type NotificationChannel = Static<typeof NotificationChannel>;

export const QuietHours = Type.Object(
  {
    from: ClockTime,
    to: ClockTime,
    /** IANA zone, e.g. Europe/Berlin; default UTC. */
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type QuietHours = Static<typeof QuietHours>;

/** One user's notification preferences: in the config file, or set through the API. */
export const UserNotificationPreferences = Type.Object(
  {
    channels: Type.Array(NotificationChannel, { maxItems: 20 }),
    /** mine (default): changes to my tickets; sites: also every new ticket on the sites I can see. */
    watch: Type.Optional(Type.Union([Type.Literal('mine'), Type.Literal('sites')])),
    /** Non-critical notifications wait until these hours are over; critical ones never wait. */
    quietHours: Type.Optional(QuietHours),
    /** Severities collected into a periodic digest instead of sent one by one. */
    digest: Type.Optional(Type.Array(Severity, { maxItems: 4 })),
  },
  { additionalProperties: false },
);
export type UserNotificationPreferences = Static<typeof UserNotificationPreferences>;

/** The `notifications` section of the cloud config file. */
export const NotificationsConfig = Type.Object(
  {
    smtp: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1 }),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          /** true: TLS from the first byte (port 465); false: STARTTLS when offered. */
          secure: Type.Optional(Type.Boolean()),
          user: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          from: Type.String({ minLength: 3 }),
        },
        { additionalProperties: false },
      ),
    ),
    mqtt: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^(mqtts?|wss?)://' }),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    /** How often a digest goes out per user and channel; default 1h. */
    digestEvery: Type.Optional(Duration),
    /** Preferences per username; the API's PUT wins over the file for that user. */
    users: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), UserNotificationPreferences)),
  },
  { additionalProperties: false },
);
export type NotificationsConfig = Static<typeof NotificationsConfig>;
