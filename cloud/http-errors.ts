import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Every error code the cloud API answers with, its HTTP status and what it means. Clients branch
 * on the code, never on the message; a code keeps its status and meaning once published. Errors
 * fastify raises itself (schema validation 400, body too large 413, ingest rate limit 429) keep
 * fastify's `FST_…` codes.
 */
export const HTTP_ERRORS = {
  // Who is asking
  PW_MISSING_TOKEN: { statusCode: 401, meaning: 'no `Authorization: Bearer <token>` header' },
  PW_BAD_TOKEN: { statusCode: 401, meaning: 'the token is unknown, revoked or expired' },
  PW_GATEWAY_TOKEN: { statusCode: 401, meaning: "a gateway's token on a route for people" },
  PW_LOGIN_FAILED: { statusCode: 401, meaning: 'wrong username or password, or the account is disabled' },
  PW_ROLE: { statusCode: 403, meaning: "the user's role is below what the route needs" },
  PW_WRONG_GATEWAY: { statusCode: 403, meaning: "the body names another gateway than the token's" },
  PW_SITE_NOT_ALLOWED: {
    statusCode: 403,
    meaning:
      'a gateway wrote a site its token is not bound to (`plantwatch cloud tokens sites`); nothing of the batch was applied',
  },
  PW_FOREIGN_TICKET: {
    statusCode: 403,
    meaning: 'a gateway wrote a ticket another gateway raised; nothing of the batch was applied',
  },
  PW_NOT_YOURS: { statusCode: 403, meaning: "another user's notifications, and the user is no admin" },
  PW_TOO_MANY_LOGINS: { statusCode: 429, meaning: 'too many login attempts for a username from one address' },
  // Tickets
  PW_MIXED_GATEWAYS: { statusCode: 400, meaning: "an ingest batch holds another gateway's events" },
  PW_NO_TICKET: { statusCode: 404, meaning: 'no such ticket, or one of a site the user may not see' },
  PW_INVALID_TRANSITION: {
    statusCode: 400,
    meaning: 'a transition lacks its close-out or duplicateOf, or carries a wrong one',
  },
  PW_BAD_TRANSITION: {
    statusCode: 409,
    meaning: "the ticket's state does not allow the move, or it changed meanwhile",
  },
  PW_CONDITION_ACTIVE: {
    statusCode: 409,
    meaning: 'resolving a ticket whose condition is still active at the edge needs confirmActive: true',
  },
  PW_BAD_ASSIGNEE: {
    statusCode: 400,
    meaning: "the assignee is no user, is disabled, or cannot see the ticket's site",
  },
  PW_BAD_CURSOR: { statusCode: 400, meaning: 'a cursor this server did not give out' },
  // Users
  PW_NO_USER: { statusCode: 404, meaning: 'no such user' },
  PW_USER_EXISTS: { statusCode: 409, meaning: 'a user with that name exists' },
  PW_LAST_ADMIN: { statusCode: 409, meaning: 'the change would leave no enabled admin' },
  PW_INVALID_USER: { statusCode: 400, meaning: 'a user field the store refuses' },
  // Telemetry
  PW_BAD_RANGE: { statusCode: 400, meaning: "a trend's or a report's time range is unusable" },
  PW_TELEMETRY_UNAVAILABLE: { statusCode: 503, meaning: 'the telemetry store failed' },
  // Routing, notifications, bus, CMMS, import
  PW_BAD_ROUTING: {
    statusCode: 400,
    meaning: 'a routing config the schema cannot fault: unknown names, time zones, empty shifts',
  },
  PW_NO_SCHEDULE: { statusCode: 404, meaning: 'the site has no on-call schedule' },
  PW_BAD_PREFERENCES: {
    statusCode: 400,
    meaning: 'notification preferences the schema cannot check (time zone)',
  },
  PW_BAD_WEBHOOK_URL: { statusCode: 400, meaning: 'a webhook URL that cannot be used' },
  PW_NO_WEBHOOK: { statusCode: 404, meaning: 'no such webhook subscription' },
  PW_NO_CMMS: { statusCode: 409, meaning: 'no CMMS connector is configured' },
  PW_CMMS_FAILED: { statusCode: 502, meaning: 'the CMMS refused or failed; nothing was stored' },
  PW_BAD_DATE: { statusCode: 400, meaning: 'a query date that is not a date' },
  PW_IMPORT_EMPTY: { statusCode: 400, meaning: 'an import without a file in the body' },
  // Plant overview
  PW_NO_ASSET: {
    statusCode: 404,
    meaning: 'no asset of that id in the registry, tickets or telemetry of the sites the user may see',
  },
  // Any route
  PW_NUL_CHARACTER: {
    statusCode: 400,
    meaning: 'a path parameter, query value or body text holds U+0000, which no store keeps',
  },
  // Refused by the HTTP parser before any route (shared/http-client-error.ts); the connection closes
  PW_HEADERS_TOO_LARGE: { statusCode: 431, meaning: 'the request line and headers exceed 16 KiB' },
  PW_MALFORMED_REQUEST: { statusCode: 400, meaning: 'the request is not valid HTTP/1.1' },
  PW_REQUEST_TIMEOUT: {
    statusCode: 408,
    meaning: "the request did not arrive within the server's request timeout",
  },
} as const satisfies Record<string, { statusCode: number; meaning: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** The one error body (ErrorReply in shared/schema): status, its name, the code, what to do. */
export interface HttpErrorBody {
  statusCode: number;
  error: string;
  code: HttpErrorCode;
  message: string;
}

export function httpErrorBody(code: HttpErrorCode, message: string): HttpErrorBody {
  const { statusCode } = HTTP_ERRORS[code];
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
}

/** Answers with the code's status and the one error body; the message says what to do about it. */
export const sendHttpError = (reply: FastifyReply, code: HttpErrorCode, message: string) =>
  reply.code(HTTP_ERRORS[code].statusCode).send(httpErrorBody(code, message));
