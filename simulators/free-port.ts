import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports tried before falling back to one the kernel picks. */
const ATTEMPTS = 100;
const LOWEST = 10_000;

/**
 * A port free on loopback right now, for servers that must be told their port up front (mosquitto, a
 * restarted agent). It is chosen below the kernel's ephemeral range: a port from that range (what
 * listening on port 0 gives) may become the local port of any outgoing connection between this check
 * and the server's start, which failed parallel tests with EADDRINUSE now and then.
 */
export async function freeLoopbackPort(): Promise<number> {
  const highest = Math.min(ephemeralRangeStart(), 32_768) - 1;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (await listens(port)) return port;
  }
  return listenOnAnyPort();
}

/** The first port the kernel hands to outgoing connections (Linux: 32768 by default; elsewhere 49152). */
export function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST ? low : 32_768;
  } catch {
    return 49_152;
  }
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function listenOnAnyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
