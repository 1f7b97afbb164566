import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import { writeToStream } from 'mqtt-packet';
import type { Logger } from 'pino';
import { type BrokerClient, publishRefusal, type RefusalReason, subscribeRefusal } from './broker-acl.js';
import { AGENT_USERNAME, agentSecret, passwordMatches } from './broker-logins.js';
import { DEFAULT_MAX_PACKET_BYTES, type EmbeddedBrokerConfig } from './embedded-broker-config.js';
import type { MqttConfig } from './mqtt-config.js';
import { readPemFile } from './mqtt-connection.js';
import { sizeLimited } from './packet-size-guard.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** The TLS listener's port, when one is configured. */
  tlsPort?: number;
  /** The login of the agent's own clients: a secret made for this run. */
  login: { username: string; password: string };
  /** The agent's own subscriptions, inside this process (see `inProcessBroker`). */
  inProcess: InProcessBroker;
  close(): Promise<void>;
}

/** A message as the broker routes it: its topic, payload and MQTT 5 content type, if any. */
export type BrokerMessageHandler = (topic: string, payload: Buffer, contentType?: string) => void;

export interface InProcessBroker {
  /**
   * Delivers what is published on `topics` (MQTT wildcards) to `onMessage`, the retained messages
   * first, as a subscribed client would get them; resolves with what ends the subscription.
   */
  subscribe(topics: string[], onMessage: BrokerMessageHandler): Promise<() => Promise<void>>;
  /**
   * Publishes as the broker itself (QoS 1 to its subscribers; `retain` stored, and an empty
   * retained payload removes the topic's retained message, as MQTT has it), in the order called;
   * resolves once the broker has taken the message, rejects if it could not.
   */
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
}

/** `mqtt.embedded` as resolved; host and port alone give an open broker on them (tests, tools). */
export type EmbeddedBrokerOptions = Pick<EmbeddedBrokerConfig, 'host' | 'port'> &
  Partial<EmbeddedBrokerConfig> & {
    /** The first topic level (default plantwatch); devices publish below it, the agent's alerts under `<prefix>/alerts/`. */
    topicPrefix?: string;
    /** Each refused connect, publish, subscription or packet (`plantwatch_edge_mqtt_refused_total`). */
    onRefused?: (reason: RefusalReason) => void;
    logger?: Logger;
  };

// mqtt-packet (aedes' and mqtt.js' encoder, one copy) would otherwise make 65,536 two-byte
// Buffers for packet ids and lengths on its first packet: 6.3 MB of the agent's 28 MB heap.
writeToStream.cacheNumbers = false;

/** Distinct (client id, reason) pairs logged before the memory of them starts over. */
const LOGGED_REFUSALS_MAX = 10_000;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/**
 * The default broker on a single gateway: aedes in-process, so a gateway needs no separate MQTT
 * service. It listens on loopback unless told otherwise; sensors on the plant network need an
 * explicit host and logins (documented in the MQTT source README). Every refusal is counted and
 * logged once per client id and reason: a sensor retrying with a wrong password every second must
 * not flood the log.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { topicPrefix = 'plantwatch', logger } = options;
  const users = options.users ?? [];
  const config: EmbeddedBrokerConfig = {
    users,
    anonymous: users.length === 0,
    maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
    ...options,
  };
  const tlsOptions = config.tls ? tlsServerOptions(config.tls) : undefined;
  const login = { username: AGENT_USERNAME, password: agentSecret() };
  const clients = new WeakMap<Client, BrokerClient>();
  const logged = new Set<string>();
  const refuse = (client: Client | null, reason: RefusalReason, detail: string) => {
    options.onRefused?.(reason);
    const key = `${client?.id ?? '?'}\u0000${reason}`;
    if (logged.has(key)) return;
    if (logged.size >= LOGGED_REFUSALS_MAX) logged.clear();
    logged.add(key);
    logger?.warn(
      { clientId: client?.id, reason },
      `embedded MQTT broker refused client ${client?.id ?? '?'}: ${detail}`,
    );
  };

  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      void identify(config, login, username, password).then(
        (identity) => {
          if (typeof identity !== 'string') {
            clients.set(client, identity);
            return done(null, true);
          }
          refuse(
            client,
            identity,
            identity === 'missing_credentials'
              ? 'no username/password, and mqtt.embedded.users requires one'
              : `wrong username or password for '${username ?? ''}'`,
          );
          const error = new Error('bad username or password') as AuthenticateError;
          error.returnCode = identity === 'missing_credentials' ? NOT_AUTHORIZED : BAD_USERNAME_OR_PASSWORD;
          done(error, false);
        },
        (error: unknown) => done(error as AuthenticateError, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      // Messages the broker itself publishes ($SYS, wills of gone clients) come without a client.
      if (!client) return done(null);
      const identity = clients.get(client) ?? { kind: 'anonymous' };
      const reason = publishRefusal(identity, topicPrefix, packet.topic);
      if (!reason) return done(null);
      refuse(client, reason, `publish on ${packet.topic}: ${publishProblem(reason, identity, topicPrefix)}`);
      done(new Error(`publish on ${packet.topic} refused: ${reason}`));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const identity = clients.get(client) ?? { kind: 'anonymous' };
      const reason = subscribeRefusal(identity, topicPrefix, subscription.topic);
      if (!reason) return done(null, subscription);
      refuse(
        client,
        reason,
        `subscription to ${subscription.topic}: a device may follow ${topicPrefix}/alerts/# and its own assets' topics`,
      );
      done(null, null);
    },
  });

  const sockets = new Set<Socket>();
  const handle = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Acks are small and wanted now: Nagle with the peer's delayed ACK made each one wait ~40 ms.
    socket.setNoDelay(true);
    aedes.handle(
      sizeLimited(socket, config.maxPacketBytes, (size) =>
        refuse(
          null,
          'packet_too_large',
          `a packet of ${Number.isFinite(size) ? `${size} bytes` : 'malformed length'} from ${socket.remoteAddress ?? '?'} is over mqtt.embedded.maxPacketBytes (${config.maxPacketBytes}); connection closed`,
        ),
      ),
    );
  };
  const servers: Server[] = [];
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  };
  try {
    const plain = createServer(handle);
    servers.push(plain);
    const port = await listen(plain, config.host, config.port, 'mqtt.embedded.port');
    let tlsPort: number | undefined;
    if (config.tls && tlsOptions) {
      const secure = createTlsServer(tlsOptions, handle);
      // A client without the CA's certificate fails its handshake: nothing to crash on.
      secure.on('tlsClientError', () => undefined);
      servers.push(secure);
      tlsPort = await listen(secure, config.tls.host, config.tls.port, 'mqtt.embedded.tls.port');
    }
    return {
      url: `mqtt://${config.host}:${port}`,
      port,
      ...(tlsPort === undefined ? {} : { tlsPort }),
      login,
      inProcess: inProcessBroker(aedes),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface RetainedStore {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<AedesPublishPacket>;
}

/**
 * The agent reads its own broker without a client: a loopback socket to itself cost every message
 * a write and a read through the kernel, a second parse, a copy of its payload, and the broker's
 * queue for a persistent session (measured on 64 KB waveforms: the agent's main thread 0.36 → 0.30
 * ms each), and a dropped connection lost the QoS 1 messages in flight.
 */
function inProcessBroker(aedes: Aedes): InProcessBroker {
  let lastPublished: Promise<unknown> = Promise.resolve();
  return {
    async subscribe(topics, onMessage) {
      const deliver = (packet: AedesPublishPacket, done: () => void) => {
        onMessage(packet.topic, packet.payload as Buffer, packet.properties?.contentType);
        done();
      };
      for (const topic of topics)
        await new Promise<void>((resolve) => aedes.subscribe(topic, deliver, resolve));
      // aedes' own store of retained messages, the one it serves subscribing clients from (untyped).
      const store = (aedes as unknown as { persistence: RetainedStore }).persistence;
      const retained = store.createRetainedStreamCombi(topics);
      for await (const packet of retained) deliver(packet, () => undefined);
      return async () => {
        for (const topic of topics)
          await new Promise<void>((resolve) => aedes.unsubscribe(topic, deliver, resolve));
      };
    },
    /*
     * One message at a time, each once the broker has taken the one before. aedes numbers the
     * messages it publishes itself and drops, per subscriber, one numbered below a message it has
     * already delivered; a retained message is stored before it is routed, so an unretained one
     * published just after it overtook it and the first was never delivered (seen: an alert for an
     * outer-race ticket opened in the same millisecond as another ticket's "cleared" alert).
     */
    publish(topic, payload, retain) {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false };
      const taken = lastPublished.then(
        () =>
          new Promise<void>((resolve, reject) =>
            aedes.publish(packet as AedesPublishPacket, (error?: Error | null) =>
              error ? reject(error) : resolve(),
            ),
          ),
      );
      lastPublished = taken.catch(() => undefined);
      return taken;
    },
  };
}

/** Who a connecting client is, or why it is refused. */
async function identify(
  config: EmbeddedBrokerConfig,
  agent: { username: string; password: string },
  username: string | undefined,
  password: Buffer | undefined,
): Promise<BrokerClient | RefusalReason> {
  const given = password ?? Buffer.alloc(0);
  if (username === agent.username && (await passwordMatches({ password: agent.password }, given)))
    return { kind: 'agent' };
  // Without users, a login a sensor sends anyway is not checked: configs from before logins keep working.
  if (config.anonymous) return { kind: 'anonymous' };
  if (username === undefined || username === '') return 'missing_credentials';
  const user = config.users.find((u) => u.username === username);
  // An unknown name costs the same comparison as a known one: names cannot be probed by timing.
  const matches = await passwordMatches(user ?? { password: agent.password }, given);
  if (!user || !matches) return 'bad_credentials';
  return { kind: 'device', username: user.username, assets: user.assets };
}

function publishProblem(reason: RefusalReason, client: BrokerClient, prefix: string): string {
  const assets = client.kind === 'device' ? client.assets.join(', ') : '';
  if (reason === 'publish_alerts') return `only the agent publishes on ${prefix}/alerts/`;
  if (reason === 'publish_outside_prefix') return `devices publish under ${prefix}/<asset>/ only`;
  return `this login may publish for ${assets} only (mqtt.embedded.users[].assets)`;
}

function tlsServerOptions(tls: NonNullable<EmbeddedBrokerConfig['tls']>) {
  const ca = tls.caFile
    ? readPemFile('mqtt.embedded.tls.caFile', tls.caFile, "the CA that signs the clients' certificates")
    : undefined;
  return {
    cert: readPemFile('mqtt.embedded.tls.certFile', tls.certFile, "the broker's certificate"),
    key: readPemFile('mqtt.embedded.tls.keyFile', tls.keyFile, 'the private key of certFile'),
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

async function listen(server: Server, host: string, port: number, key: string): Promise<number> {
  server.listen(port, host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `MQTT port ${host}:${port} is in use; set ${key} in the config or stop the other broker`
        : `cannot start the embedded MQTT broker on ${host}:${port}: ${e.message}`,
      { cause: error },
    );
  }
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/**
 * The broker the agent's MQTT clients use: `mqtt.url` when set (with `mqtt.username`/`password`),
 * otherwise an embedded one started here (with the agent's own per-run login).
 */
export async function brokerFor(
  mqtt: MqttConfig,
  logger: Logger,
  onRefused?: (reason: RefusalReason) => void,
): Promise<{
  url: string;
  login?: { username: string; password: string };
  inProcess?: InProcessBroker;
  close(): Promise<void>;
}> {
  if (mqtt.url) return { url: mqtt.url, close: () => Promise.resolve() };
  const broker = await startEmbeddedBroker({
    ...mqtt.embedded,
    topicPrefix: mqtt.topicPrefix,
    logger,
    ...(onRefused ? { onRefused } : {}),
  });
  logger.info(
    {
      url: broker.url,
      ...(broker.tlsPort === undefined
        ? {}
        : { tls: `mqtts://${mqtt.embedded.tls?.host}:${broker.tlsPort}` }),
      logins: mqtt.embedded.users.length,
    },
    'embedded MQTT broker listening',
  );
  return broker;
}
