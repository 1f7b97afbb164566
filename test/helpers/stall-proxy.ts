import { createServer, Socket } from 'node:net';

/**
 * A TCP proxy on loopback that can make its open connections go dead without closing them: no FIN,
 * no RST, bytes simply stop, as when a firewall or NAT forgets a connection. New connections still
 * pass, so a client that notices and reconnects gets through.
 */
export async function startStallProxy(target: { host: string; port: number }) {
  const pairs: { client: Socket; upstream: Socket; stalled: boolean }[] = [];
  const server = createServer((client) => {
    const upstream = new Socket();
    const pair = { client, upstream, stalled: false };
    pairs.push(pair);
    upstream.connect(target.port, target.host);
    client.on('data', (chunk) => {
      if (!pair.stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.stalled) client.write(chunk);
    });
    const end = () => {
      if (pair.stalled) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    /** Every connection open now goes silent, for good. */
    stallOpenConnections(): number {
      const open = pairs.filter((pair) => !pair.stalled && !pair.client.destroyed);
      for (const pair of open) pair.stalled = true;
      return open.length;
    },
    async stop(): Promise<void> {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
