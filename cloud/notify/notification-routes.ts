import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ErrorReply, TicketChangeSubject } from '../../shared/schema/index.js';
import { hasRole } from '../access/access-store.js';
import type { AuthenticatedUser } from '../access/roles.js';
import { currentUser } from '../access/user-auth.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import type { NotificationService } from './notification-service.js';
import { type NotificationChannel, UserNotificationPreferences } from './notify-config.js';
import { isTimeZone } from '../zoned-time.js';
import { sendHttpError } from '../http-errors.js';

/** Stands for a webhook secret in replies; sent back unchanged in a PUT, it keeps the stored secret. */
export const SECRET_MASK = '********';

const UserParams = Type.Object({ username: Type.String({ maxLength: 64 }) });
type UserParams = Static<typeof UserParams>;

const PreferencesReply = Type.Object({
  username: Type.String(),
  /** file: from the config file; api: set through this API (the file no longer overrides it). */
  source: Type.Union([Type.Literal('file'), Type.Literal('api'), Type.Literal('none')]),
  preferences: UserNotificationPreferences,
});

const NotificationStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sent'),
  Type.Literal('failed'),
]);
const NotificationQuery = Type.Object(
  {
    username: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(NotificationStatus),
    ticket: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);
type NotificationQuery = Static<typeof NotificationQuery>;

const NotificationView = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  channel: Type.String({ description: 'kind and address, e.g. email:alice@plant.example' }),
  ticket: TicketChangeSubject,
  change: Type.String(),
  state: Type.String(),
  reason: Type.String(),
  mode: Type.Union([Type.Literal('single'), Type.Literal('digest')]),
  status: NotificationStatus,
  createdAt: Type.String(),
  deliverAfter: Type.String({ description: 'not sent before: end of quiet hours, next digest, next retry' }),
  attempts: Type.Integer(),
  lastError: Type.Optional(Type.String()),
  sentAt: Type.Optional(Type.String()),
});

const maskSecrets = (channels: NotificationChannel[]): NotificationChannel[] =>
  channels.map((c) => (c.kind === 'webhook' && c.secret ? { ...c, secret: SECRET_MASK } : c));

const forbidden = (reply: FastifyReply, user: AuthenticatedUser, whose: string) =>
  sendHttpError(
    reply,
    'PW_NOT_YOURS',
    `'${user.username}' may only see or change their own notifications, not '${whose}' (ask an admin)`,
  );

const mayManage = (user: AuthenticatedUser, username: string) =>
  user.username === username || hasRole(user, 'admin');

/** Notification preferences per user, and the notifications sent (or not) with their status. */
export const notificationRoutes: FastifyPluginAsync<ModuleRouteOptions<NotificationService>> = async (
  app,
  { services, module, authenticateUser },
) => {
  app.addHook('onRequest', authenticateUser);
  const security = [{ userToken: [] }];
  const { store } = module;

  const knownUser = async (reply: FastifyReply, username: string) => {
    const users = await services.store.access.listUsers();
    if (users.some((u) => u.username === username)) return true;
    await sendHttpError(reply, 'PW_NO_USER', `no user '${username}'; create it first (plantwatch users add)`);
    return false;
  };

  app.get<{ Params: UserParams }>(
    '/api/v1/users/:username/notifications',
    {
      schema: {
        summary: "A user's notification preferences (webhook secrets masked)",
        tags: ['notifications'],
        security,
        params: UserParams,
        response: { 200: PreferencesReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { username } = request.params;
      if (!mayManage(user, username)) return forbidden(reply, user, username);
      if (!(await knownUser(reply, username))) return reply;
      const stored = await store.preferences(username);
      const preferences = stored?.preferences ?? { channels: [] };
      return {
        username,
        source: stored?.source ?? 'none',
        preferences: { ...preferences, channels: maskSecrets(preferences.channels) },
      };
    },
  );

  app.put<{ Params: UserParams; Body: UserNotificationPreferences }>(
    '/api/v1/users/:username/notifications',
    {
      schema: {
        summary: "Sets a user's notification preferences (the user themself or an admin)",
        tags: ['notifications'],
        security,
        params: UserParams,
        body: UserNotificationPreferences,
        response: { 200: PreferencesReply, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { username } = request.params;
      if (!mayManage(user, username)) return forbidden(reply, user, username);
      if (!(await knownUser(reply, username))) return reply;
      const body = request.body;
      const timezone = body.quietHours?.timezone;
      if (timezone !== undefined && !isTimeZone(timezone)) {
        return sendHttpError(
          reply,
          'PW_BAD_PREFERENCES',
          `body/quietHours/timezone: '${timezone}' is not a time zone; use an IANA name like Europe/Berlin`,
        );
      }
      const previous = (await store.preferences(username))?.preferences.channels ?? [];
      const channels = body.channels.map((c): NotificationChannel => {
        if (c.kind !== 'webhook' || c.secret !== SECRET_MASK) return c;
        const kept = previous.find((p) => p.kind === 'webhook' && p.url === c.url);
        const { secret: _masked, ...rest } = c;
        return kept?.kind === 'webhook' && kept.secret ? { ...rest, secret: kept.secret } : rest;
      });
      const preferences = { ...body, channels };
      const before = await store.preferences(username);
      await store.savePreferences(username, preferences, 'api', new Date(services.clock.now()).toISOString());
      // People's own preferences are theirs; an admin changing someone else's is an admin change.
      if (user.username !== username) {
        await services.store.audit.record({
          actor: user.username,
          action: 'notifications.set',
          target: `user:${username}`,
          ...(before ? { before: before.preferences } : {}),
          after: preferences,
        });
      }
      request.log.info(
        { username, by: user.username, channels: channels.length },
        'notification preferences set',
      );
      return {
        username,
        source: 'api' as const,
        preferences: { ...preferences, channels: maskSecrets(channels) },
      };
    },
  );

  app.get<{ Querystring: NotificationQuery }>(
    '/api/v1/notifications',
    {
      schema: {
        summary: 'Recent notifications with their status: sent, pending (and until when), failed (and why)',
        tags: ['notifications'],
        security,
        querystring: NotificationQuery,
        response: { 200: Type.Object({ notifications: Type.Array(NotificationView) }), 403: ErrorReply },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const q = request.query;
      const admin = hasRole(user, 'admin');
      const username = q.username ?? (admin ? undefined : user.username);
      if (!admin && username !== user.username) return forbidden(reply, user, username ?? '*');
      const rows = await store.list({
        limit: q.limit,
        ...(username !== undefined ? { username } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.ticket ? { ticketId: q.ticket } : {}),
      });
      return {
        notifications: rows.map((n) => ({
          id: n.id,
          username: n.username,
          channel: n.channelKey,
          ticket: n.ticket,
          change: n.changeType,
          state: n.stateKey,
          reason: n.reason,
          mode: n.mode,
          status: n.status,
          createdAt: n.createdAt,
          deliverAfter: n.deliverAfter,
          attempts: n.attempts,
          ...(n.lastError ? { lastError: n.lastError } : {}),
          ...(n.sentAt ? { sentAt: n.sentAt } : {}),
        })),
      };
    },
  );
};
