import type { RateLimitOptions } from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  CreateApiTokenReply,
  CreateApiTokenRequest,
  CreateUserReply,
  CreateUserRequest,
  LoginReply,
  LoginRequest,
  UpdateUserRequest,
  UserListReply,
  UsernameParams,
  UserView,
} from '../../shared/schema/access.js';
import { ErrorReply } from '../../shared/schema/ingest.js';
import {
  type AccessStore,
  InvalidUserError,
  LastAdminError,
  UnknownUserError,
  UserExistsError,
} from './access-store.js';
import { authenticateUser, bearerToken, currentUser, requireRole } from './user-auth.js';
import { type HttpErrorCode, sendHttpError } from '../http-errors.js';

export interface AccessRoutesOptions {
  access: AccessStore;
  /** Login attempts per address and username per window (default 10 a minute). */
  loginRateLimit?: { max: number; timeWindowMs: number };
}

const DEFAULT_LOGIN_RATE_LIMIT = { max: 10, timeWindowMs: 60_000 };

/** Referenced by the routes' OpenAPI `security`; registered in the API docs beside gatewayToken. */
export const USER_TOKEN_SECURITY = [{ userToken: [] }];

const Done = Type.Null({ description: 'done; no body' });

const loginFailed = (reply: FastifyReply) =>
  // The same words whether the user exists, the password is wrong or the account is disabled.
  sendHttpError(
    reply,
    'PW_LOGIN_FAILED',
    'wrong username or password, or the account is disabled; an admin can check `plantwatch cloud users list`',
  );

/** The store's refusals as HTTP replies. */
const REFUSALS = [
  { type: UnknownUserError, code: 'PW_NO_USER' },
  { type: UserExistsError, code: 'PW_USER_EXISTS' },
  { type: LastAdminError, code: 'PW_LAST_ADMIN' },
  { type: InvalidUserError, code: 'PW_INVALID_USER' },
] as const;

/** Replies to a refusal of the store; anything else is rethrown, a server error. */
function sendRefusal(reply: FastifyReply, error: unknown) {
  const refusal = REFUSALS.find((r) => error instanceof r.type);
  if (!refusal) throw error;
  return sendHttpError(reply, refusal.code, (error as Error).message);
}

/**
 * Keyed by address and username, so guessing one user's password is slow while many engineers
 * behind one plant NAT can still log in. Runs as a preHandler, where the body has been parsed.
 */
const loginRateLimit = (limit: { max: number; timeWindowMs: number }): RateLimitOptions => ({
  max: limit.max,
  timeWindow: limit.timeWindowMs,
  hook: 'preHandler',
  // JSON keeps (address, username) apart unambiguously; a NUL separator was refused by PostgreSQL
  // (the shared rate-limit store), which turned every login into a 500.
  keyGenerator: (request) => JSON.stringify(['login', request.ip, (request.body as LoginRequest).username]),
  errorResponseBuilder: (_request, context) =>
    Object.assign(
      new Error(`too many login attempts for this username from your address; try again in ${context.after}`),
      { statusCode: context.statusCode, code: 'PW_TOO_MANY_LOGINS' satisfies HttpErrorCode },
    ),
});

/** Login, logout and who-am-I for everyone; user and token management for admins. */
export const accessRoutes: FastifyPluginAsync<AccessRoutesOptions> = async (app, options) => {
  const { access } = options;
  const authenticated = authenticateUser(access);
  const adminOnly = { onRequest: authenticated, preHandler: requireRole('admin') };
  const audit = (request: FastifyRequest, details: Record<string, unknown>, what: string) =>
    request.log.info({ admin: currentUser(request).username, ...details }, what);

  app.post<{ Body: LoginRequest }>(
    '/api/v1/login',
    {
      config: { rateLimit: loginRateLimit(options.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT) },
      schema: {
        summary: 'Log in: exchange a username and password for a session token',
        tags: ['access'],
        body: LoginRequest,
        response: { 200: LoginReply, 400: ErrorReply, 401: ErrorReply, 429: ErrorReply },
      },
    },
    async (request, reply) => {
      const session = await access.login(request.body.username, request.body.password);
      if (!session) {
        // No username here: people type their password into the username field often enough.
        request.log.info({ ip: request.ip }, 'login failed');
        return loginFailed(reply);
      }
      request.log.info({ username: session.user.username, ip: request.ip }, 'login');
      return session;
    },
  );

  app.post(
    '/api/v1/logout',
    {
      onRequest: authenticated,
      schema: {
        summary: 'Log out: revoke the session token this request was sent with',
        tags: ['access'],
        security: USER_TOKEN_SECURITY,
        response: { 204: Done, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      if (token) await access.logout(token);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    {
      onRequest: authenticated,
      schema: {
        summary: 'The user this token belongs to: username, role and sites',
        tags: ['access'],
        security: USER_TOKEN_SECURITY,
        response: { 200: UserView, 401: ErrorReply },
      },
    },
    async (request) => currentUser(request),
  );

  app.get(
    '/api/v1/users',
    {
      ...adminOnly,
      schema: {
        summary: 'All users with their role, sites and whether they are disabled (admin)',
        tags: ['access'],
        security: USER_TOKEN_SECURITY,
        response: { 200: UserListReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async () => ({ users: await access.listUsers() }),
  );

  app.post<{ Body: CreateUserRequest }>(
    '/api/v1/users',
    {
      ...adminOnly,
      schema: {
        summary: 'Create a user; without a password, a generated one is returned once (admin)',
        tags: ['access'],
        security: USER_TOKEN_SECURITY,
        body: CreateUserRequest,
        response: {
          201: CreateUserReply,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          409: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const { username, role, sites, password } = request.body;
      try {
        const created = await access.createUser(
          { username, role, sites, ...(password ? { password } : {}) },
          currentUser(request).username,
        );
        audit(request, { username, role, sites }, 'user created');
        return reply.code(201).send(password ? { username } : { username, password: created.password });
      } catch (error) {
        return sendRefusal(reply, error);
      }
    },
  );

  app.patch<{ Params: UsernameParams; Body: UpdateUserRequest }>(
    '/api/v1/users/:username',
    {
      ...adminOnly,
      schema: {
        summary: "Change a user's role, sites, password, or disable them (revokes their tokens) (admin)",
        tags: ['access'],
        security: USER_TOKEN_SECURITY,
        params: UsernameParams,
        body: UpdateUserRequest,
        response: {
          204: Done,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      try {
        await access.updateUser(username, request.body, currentUser(request).username);
        // Field names only: the values may hold a password.
        audit(request, { username, changed: Object.keys(request.body) }, 'user changed');
        return reply.code(204).send();
      } catch (error) {
        return sendRefusal(reply, error);
      }
    },
  );

  app.post<{ Params: UsernameParams; Body: CreateApiTokenRequest }>(
    '/api/v1/users/:username/tokens',
    {
      ...adminOnly,
      schema: {
        summary: 'Create an API token for a user (for scripts; no expiry); shown once (admin)',
        tags: ['access'],
        security: USER_TOKEN_SECURITY,
        params: UsernameParams,
        body: CreateApiTokenRequest,
        response: {
          201: CreateApiTokenReply,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          404: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      try {
        const token = await access.createApiToken(
          username,
          request.body.label,
          currentUser(request).username,
        );
        audit(request, { username, label: request.body.label }, 'API token created');
        return reply.code(201).send({ token });
      } catch (error) {
        return sendRefusal(reply, error);
      }
    },
  );
};
