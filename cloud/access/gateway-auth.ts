import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendHttpError } from '../http-errors.js';
import type { GatewayTokenCheck } from './gateway-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The gateway whose token authenticated this request. */
    gatewayId?: string;
    /** The sites that token may write. */
    gatewaySites?: readonly string[];
  }
}

/** onRequest hook: runs before the body is read, so an unauthenticated client cannot make us parse megabytes. */
export function gatewayAuth(tokens: { checkGatewayToken(token: string): Promise<GatewayTokenCheck> }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      return sendHttpError(
        reply,
        'PW_MISSING_TOKEN',
        'missing gateway token: send "Authorization: Bearer <token>" (create one with `plantwatch cloud tokens create <gatewayId> --site <site>`)',
      );
    }
    const check = await tokens.checkGatewayToken(match[1]);
    if (!check.valid && check.problem === 'expired') {
      return sendHttpError(
        reply,
        'PW_BAD_TOKEN',
        `gateway token of '${check.gatewayId}' expired at ${check.expiredAt}; ` +
          `create a new one with \`plantwatch cloud tokens create ${check.gatewayId} --site <site>\``,
      );
    }
    if (!check.valid) {
      return sendHttpError(reply, 'PW_BAD_TOKEN', 'unknown or revoked gateway token');
    }
    request.gatewayId = check.gateway.gatewayId;
    request.gatewaySites = check.gateway.sites;
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

/** Why a gateway may not write this site, or undefined if it may. */
export function siteRefusal(request: FastifyRequest, site: string): string | undefined {
  if (request.gatewaySites?.includes(site)) return undefined;
  return `gateway ${request.gatewayId} may not write site ${site}`;
}
