import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { MqttConfig } from './mqtt-config.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The default broker on a single gateway: aedes in-process, so a gateway needs no separate MQTT
 * service. It listens on loopback unless told otherwise; sensors on the plant network need an
 * explicit host (documented in the edge README).
 */
export async function startEmbeddedBroker(options: { host: string; port: number }): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(options.port, options.host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  } catch (error) {
    aedes.close();
    const e = error as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `MQTT port ${options.host}:${options.port} is in use; set mqtt.embedded.port in the config or stop the other broker`
        : `cannot start the embedded MQTT broker on ${options.host}:${options.port}: ${e.message}`,
      { cause: error },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `mqtt://${options.host}:${port}`,
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** The broker the agent's MQTT clients use: `mqtt.url` when set, otherwise an embedded one started here. */
export async function brokerFor(
  mqtt: MqttConfig,
  logger: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  if (mqtt.url) return { url: mqtt.url, close: () => Promise.resolve() };
  const broker = await startEmbeddedBroker(mqtt.embedded);
  logger.info({ url: broker.url }, 'embedded MQTT broker listening');
  return broker;
}
