import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendHttpError } from '../http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The gateway whose token authenticated this request. */
    gatewayId?: string;
  }
}

/** onRequest hook: runs before the body is read, so an unauthenticated client cannot make us parse megabytes. */
export function gatewayAuth(tokens: { gatewayForToken(token: string): Promise<string | undefined> }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      return sendHttpError(
        reply,
        'PW_MISSING_TOKEN',
        'missing gateway token: send "Authorization: Bearer <token>" (create one with `plantwatch cloud tokens create <gatewayId>`)',
      );
    }
    const gatewayId = await tokens.gatewayForToken(match[1]);
    if (!gatewayId) {
      return sendHttpError(reply, 'PW_BAD_TOKEN', 'unknown or revoked gateway token');
    }
    request.gatewayId = gatewayId;
  };
}

/**
 * preHandler hook: the body's gatewayId must be the token's. A gateway writes only its own events
 * and telemetry, whatever its body claims.
 */
export async function requireOwnGateway(request: FastifyRequest, reply: FastifyReply) {
  const claimed = (request.body as { gatewayId?: unknown } | undefined)?.gatewayId;
  if (claimed !== request.gatewayId) {
    return sendHttpError(
      reply,
      'PW_WRONG_GATEWAY',
      `this token belongs to gateway '${request.gatewayId}', not '${String(claimed)}'`,
    );
  }
}
