import { type Static, Type } from '@sinclair/typebox';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Host = Type.String({ minLength: 1 });

/** The `mqtt:` section of the edge config: the broker the sensors publish to, and the topics. */
export const MqttSection = Type.Object(
  {
    /** An external broker (mqtt://, mqtts://); without it the embedded broker runs. */
    url: Type.Optional(Type.String({ pattern: '^(mqtts?|wss?|tcp)://' })),
    embedded: Type.Optional(
      Type.Object({ host: Type.Optional(Host), port: Type.Optional(Port) }, { additionalProperties: false }),
    ),
    topicPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_./-]{1,64}$' })),
    /** Publish each ticket's state on `<topicPrefix>/alerts/<site>/<asset>/<ticket>` (default true). */
    alerts: Type.Optional(Type.Boolean()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type MqttSection = Static<typeof MqttSection>;

/** The `mqtt:` section with every default applied. */
export interface MqttConfig {
  /** Undefined: the embedded broker runs. */
  url?: string;
  embedded: { host: string; port: number };
  topicPrefix: string;
  alerts: boolean;
  username?: string;
  password?: string;
}

export function resolveMqttConfig(mqtt: MqttSection | undefined): MqttConfig {
  return {
    ...(mqtt?.url ? { url: mqtt.url } : {}),
    embedded: { host: mqtt?.embedded?.host ?? '127.0.0.1', port: mqtt?.embedded?.port ?? 1883 },
    topicPrefix: mqtt?.topicPrefix ?? 'plantwatch',
    alerts: mqtt?.alerts ?? true,
    ...(mqtt?.username ? { username: mqtt.username } : {}),
    ...(mqtt?.password ? { password: mqtt.password } : {}),
  };
}
