import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/** Serves the agent's local status for operators and monitoring: /healthz, /metrics, /api/v1/status. */
export async function startStatusServer(options: {
  host: string;
  port: number;
  status: () => Record<string, unknown> & { healthy: boolean };
  registry: Registry;
  /** More routes on the same port (the outbox's set-aside events). */
  plugins?: FastifyPluginAsync[];
}): Promise<{ server: FastifyInstance; url: string }> {
  const server = Fastify({ logger: false });
  for (const plugin of options.plugins ?? []) await server.register(plugin);
  server.get('/healthz', async (_request, reply) => {
    const { healthy } = options.status();
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded' });
  });
  server.get('/metrics', async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
  server.get('/api/v1/status', async () => {
    const { healthy: _healthy, ...status } = options.status();
    return status;
  });
  const address = await server.listen({ host: options.host, port: options.port });
  return { server, url: address };
}
