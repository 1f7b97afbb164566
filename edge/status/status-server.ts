import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { closingClientErrorHandler } from '../../shared/http-client-error.js';
import { bearerTokenMatches, unauthorizedReply } from '../../shared/bearer-token.js';

/**
 * Serves the agent's local status for operators and monitoring: /healthz, /metrics, /api/v1/status
 * (and its cheap part, /api/v1/status/counters).
 * With a token, everything but /healthz (a liveness probe says nothing worth hiding) wants it.
 */
export async function startStatusServer(options: {
  host: string;
  port: number;
  status: () => object;
  /** `/healthz`: 200 or 503. */
  healthy: () => boolean;
  /** `/api/v1/status/counters`: a small part of the status, cheap enough to poll many times a second. */
  progress: () => object;
  registry: Registry;
  /** More routes on the same port (the outbox's set-aside events). */
  plugins?: FastifyPluginAsync[];
  /** Counts a request the HTTP parser refused, by its PW_ code. */
  onRefusal?: (code: string) => void;
  /** `http.token`: the bearer token /metrics, /api/v1/status and the outbox routes require. */
  token?: string;
}): Promise<{ server: FastifyInstance; url: string }> {
  const server = Fastify({ logger: false, clientErrorHandler: closingClientErrorHandler(options.onRefusal) });
  const { token } = options;
  if (token) {
    const refusal = unauthorizedReply('http.token of the agent config');
    server.addHook('onRequest', async (request, reply) => {
      if (request.url === '/healthz' || bearerTokenMatches(request.headers.authorization, token)) return;
      return reply.code(401).headers(refusal.headers).send(refusal.body);
    });
  }
  for (const plugin of options.plugins ?? []) await server.register(plugin);
  server.get('/healthz', async (_request, reply) => {
    const healthy = options.healthy();
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded' });
  });
  server.get('/metrics', async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
  server.get('/api/v1/status', async () => options.status());
  server.get('/api/v1/status/counters', async () => options.progress());
  const address = await server.listen({ host: options.host, port: options.port });
  return { server, url: address };
}
