import { type Static, Type } from '@sinclair/typebox';
import { Duration, durationMs } from '../../shared/duration.js';
import { TicketChangeType } from '../../shared/schema/index.js';

export const WebhookUrl = Type.String({
  pattern: '^https?://',
  maxLength: 2000,
  description: 'http(s) URL the cloud POSTs each change to',
});

/** A webhook kept in the config file (upserted by name at startup; secret usually `${ENV}`). */
export const ConfiguredWebhook = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    url: WebhookUrl,
    secret: Type.String({ minLength: 16, description: 'HMAC key the receiver verifies with; use ${ENV}' }),
    sites: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 })),
    types: Type.Optional(Type.Array(TicketChangeType, { minItems: 1 })),
    /** Where a new subscription starts: `now` (default) skips the history. */
    from: Type.Optional(Type.Union([Type.Literal('now'), Type.Literal('beginning')])),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type ConfiguredWebhook = Static<typeof ConfiguredWebhook>;

/** The `bus` section of the cloud config file: where ticket events go besides the replay endpoint. */
export const BusConfig = Type.Object(
  {
    webhooks: Type.Optional(Type.Array(ConfiguredWebhook)),
    /** Backoff of a failing webhook or broker: doubles from `initial` up to `max` (default 1s, 10m). */
    retry: Type.Optional(
      Type.Object(
        { initial: Type.Optional(Duration), max: Type.Optional(Duration) },
        { additionalProperties: false },
      ),
    ),
    /** How long a receiver may take to answer one delivery (default 10s). */
    timeout: Type.Optional(Duration),
    /** How often to look for changes and subscriptions made by other cloud instances (default 5s). */
    pollInterval: Type.Optional(Duration),
    /**
     * How long the change log keeps a change for replay (default 90d). A change no consumer has
     * passed yet (a webhook whose receiver is down) is kept however old it is.
     */
    retainChanges: Type.Optional(Duration),
    mqtt: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            pattern: '^(mqtts?|wss?|tcp|ssl)://',
            description: 'e.g. mqtt://127.0.0.1:1883',
          }),
          /** Changes go to `<topicPrefix>/sites/<site>/ticket-events` (default `plantwatch`). */
          topicPrefix: Type.Optional(Type.String({ pattern: '^[^+#]{1,100}$' })),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          clientId: Type.Optional(Type.String({ maxLength: 64 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BusConfig = Static<typeof BusConfig>;

/** The bus config with defaults applied and durations in milliseconds. */
export interface BusSettings {
  webhooks: ConfiguredWebhook[];
  retry: { initialMs: number; maxMs: number };
  timeoutMs: number;
  pollMs: number;
  retainChangesMs: number;
  mqtt?: { url: string; topicPrefix: string; username?: string; password?: string; clientId?: string };
}

export function resolveBusConfig(config: BusConfig = {}): BusSettings {
  const names = new Set<string>();
  for (const webhook of config.webhooks ?? []) {
    if (names.has(webhook.name)) {
      throw new Error(
        `bus.webhooks: the name '${webhook.name}' is used twice; give each webhook its own name`,
      );
    }
    names.add(webhook.name);
  }
  return {
    webhooks: config.webhooks ?? [],
    retry: {
      initialMs: durationMs(config.retry?.initial ?? '1s'),
      maxMs: durationMs(config.retry?.max ?? '10m'),
    },
    timeoutMs: durationMs(config.timeout ?? '10s'),
    pollMs: durationMs(config.pollInterval ?? '5s'),
    retainChangesMs: durationMs(config.retainChanges ?? '90d'),
    ...(config.mqtt ? { mqtt: { topicPrefix: 'plantwatch', ...config.mqtt } } : {}),
  };
}
