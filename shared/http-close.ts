import type { FastifyInstance } from 'fastify';

/** How long a client mid-response (a scraper that stopped reading, a slow upload) may hold a stop. */
export const CLOSE_GRACE_MS = 3_000;

/**
 * Closes a fastify server, giving open requests `graceMs` to finish before their connections are
 * cut. Without the bound one client that never reads its response keeps the server, and the
 * process stopping it, alive for ever.
 */
export async function closeWithin(app: FastifyInstance, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  cut.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}
