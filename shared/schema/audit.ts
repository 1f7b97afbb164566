import { type Static, Type } from '@sinclair/typebox';

/**
 * One administrative change as `GET /api/v1/audit` returns it: who, when, what, and the state
 * before and after with every secret replaced by `********`.
 */
export const AdminAuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ description: 'ISO 8601 time of the change' }),
  actor: Type.String({
    description: 'the username of the admin, `cli:<os user>` for a command, or the module that acted',
  }),
  action: Type.String({
    description: 'what was done, e.g. user.create, gateway_token.revoke, routing.replace',
  }),
  target: Type.String({ description: 'what it was done to, e.g. user:alice, gateway:gw-1, webhook:3' }),
  before: Type.Optional(Type.Unknown({ description: 'the state before (absent for a creation)' })),
  after: Type.Optional(Type.Unknown({ description: 'the state after (absent for a deletion)' })),
});
export type AdminAuditEntry = Static<typeof AdminAuditEntry>;

export const AdminAuditPage = Type.Object({
  entries: Type.Array(AdminAuditEntry, { description: 'newest first' }),
  nextCursor: Type.Optional(Type.String({ description: 'pass as `cursor` for the next (older) page' })),
});
export type AdminAuditPage = Static<typeof AdminAuditPage>;

export const AdminAuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(
      Type.String({ maxLength: 100, description: 'an action, or a prefix ending in `.` (user.)' }),
    ),
    target: Type.Optional(Type.String({ maxLength: 300 })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'entries at or after this time' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'entries before this time' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type AdminAuditQuery = Static<typeof AdminAuditQuery>;
