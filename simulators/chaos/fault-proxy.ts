import { createServer, type Server, Socket } from 'node:net';

/**
 * What the link between gateway and cloud does to a connection, as plant networks do:
 * - `pass`: forwards;
 * - `drop`: refuses new connections (reset at once);
 * - `stall`: accepts and forwards nothing, never closes (a dead route);
 * - `reset`: forwards, then resets the connection after a random number of bytes (mid-request or mid-reply);
 * - `slow`: forwards with 20–200 ms added to every chunk.
 */
export const LINK_FAULTS = ['pass', 'drop', 'stall', 'reset', 'slow'] as const;
export type LinkFault = (typeof LINK_FAULTS)[number];

export interface FaultProxy {
  port: number;
  url: string;
  /** Applies to connections opened from now on; `stall` also freezes the open ones. */
  setFault(fault: LinkFault): void;
  /** The open connections go silent for good (no FIN, no RST); returns how many. */
  freezeOpenConnections(): number;
  fault(): LinkFault;
  stop(): Promise<void>;
}

/** A TCP proxy on loopback in front of `target`, whose behaviour the chaos harness switches at will. */
export async function startFaultProxy(
  target: { host: string; port: number },
  random: () => number = Math.random,
): Promise<FaultProxy> {
  let current: LinkFault = 'pass';
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (current === 'drop') {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    upstream.on('error', () => {});
    const pair = { client, upstream, frozen: current === 'stall' };
    open.add(pair);
    const fault = current;
    // `reset` cuts the connection somewhere in its first few kilobytes, either direction.
    let bytesLeft = fault === 'reset' ? Math.floor(random() * 4096) : Number.POSITIVE_INFINITY;
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (pair.frozen) return;
        bytesLeft -= chunk.length;
        if (bytesLeft < 0) {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
          return;
        }
        if (fault === 'slow') setTimeout(() => to.write(chunk), 20 + random() * 180);
        else to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      open.delete(pair);
      if (pair.frozen) return; // a dead route does not tell anyone
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const freezeOpenConnections = (): number => {
    let frozen = 0;
    for (const pair of open) {
      if (!pair.frozen) frozen++;
      pair.frozen = true;
    }
    return frozen;
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setFault(fault) {
      current = fault;
      if (fault === 'stall') freezeOpenConnections();
    },
    freezeOpenConnections,
    fault: () => current,
    async stop() {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
