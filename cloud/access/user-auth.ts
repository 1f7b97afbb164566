import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessStore } from './access-store.js';
import { type AuthenticatedUser, hasRole, type Role } from './roles.js';
import { isGatewayToken } from './secrets.js';
import { type HttpErrorCode, sendHttpError } from '../http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user whose session or API token authenticated this request. */
    user?: AuthenticatedUser;
  }
}

const unauthorized = (reply: FastifyReply, code: HttpErrorCode, message: string) =>
  sendHttpError(reply.header('www-authenticate', 'Bearer realm="plantwatch"'), code, message);

/** The token of an `Authorization: Bearer <token>` header. */
export const bearerToken = (request: FastifyRequest): string | undefined => {
  const header = request.headers.authorization;
  return (header ? /^Bearer\s+(\S+)$/i.exec(header) : null)?.[1];
};

/**
 * onRequest hook for the people's API: runs before the body is read, so an unauthenticated client
 * cannot make us parse megabytes.
 */
export function authenticateUser(access: AccessStore) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request);
    if (!token) {
      return unauthorized(
        reply,
        'PW_MISSING_TOKEN',
        'missing token: send "Authorization: Bearer <token>" with a session token from POST /api/v1/login ' +
          'or an API token from `plantwatch cloud users token <username>`',
      );
    }
    if (isGatewayToken(token)) {
      return unauthorized(
        reply,
        'PW_GATEWAY_TOKEN',
        'this is a gateway token: gateway tokens may only post to /api/v1/ingest and /api/v1/telemetry; ' +
          'log in with POST /api/v1/login or use an API token from `plantwatch cloud users token <username>`',
      );
    }
    const user = await access.userForToken(token);
    if (!user) {
      return unauthorized(
        reply,
        'PW_BAD_TOKEN',
        'unknown, expired or revoked token: log in again with POST /api/v1/login, or ask an admin for a new API token',
      );
    }
    request.user = user;
  };
}

/** preHandler hook, after authenticateUser: the route needs at least this role. */
export function requireRole(minimum: Role) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { user } = request;
    // No user means the route forgot authenticateUser; refuse rather than serve anonymously.
    if (!user) {
      return unauthorized(reply, 'PW_MISSING_TOKEN', 'this route needs a user token, and none was checked');
    }
    if (!hasRole(user, minimum)) {
      return sendHttpError(
        reply,
        'PW_ROLE',
        `this needs the ${minimum} role or higher; '${user.username}' is ${user.role} (ask an admin to change it)`,
      );
    }
  };
}

/** The authenticated user, in a handler of a route behind authenticateUser. */
export function currentUser(request: { user?: AuthenticatedUser }): AuthenticatedUser {
  if (!request.user) {
    throw new Error(
      'no authenticated user on this request: register authenticateUser as an onRequest hook of the route',
    );
  }
  return request.user;
}
