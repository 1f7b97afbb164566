import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { NotSetAsideError, resendDeadLetters } from './dead-letters.js';
import type { Outbox } from './outbox.js';

const Seq = Type.Integer({ minimum: 1 });
export const ResendBody = Type.Union([
  Type.Object({ seqs: Type.Array(Seq, { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }),
  Type.Object({ all: Type.Literal(true) }, { additionalProperties: false }),
]);
export type ResendBody = Static<typeof ResendBody>;

/**
 * The set-aside events of a running agent, for `plantwatch outbox dead-letters|resend` (the agent
 * holds its outbox exclusively): GET lists them, POST requeues some and wakes the replicator.
 * On the agent's local status port (127.0.0.1 unless http.host says otherwise).
 */
export const deadLetterRoutes: FastifyPluginAsync<{ outbox: Outbox; onResent: () => void }> = async (
  app,
  { outbox, onResent },
) => {
  app.get('/api/v1/outbox/dead-letters', async () => ({ deadLetters: outbox.deadLetters() }));
  app.post<{ Body: ResendBody }>(
    '/api/v1/outbox/resend',
    { schema: { body: ResendBody } },
    async (request, reply) => {
      try {
        const resent = resendDeadLetters(outbox, request.body);
        if (resent.length > 0) onResent();
        return { resent };
      } catch (error) {
        if (!(error instanceof NotSetAsideError)) throw error;
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: error.message });
      }
    },
  );
};
