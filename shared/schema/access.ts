import { type Static, Type } from '@sinclair/typebox';

/** Ordered from least to most trusted: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'engineer', 'admin'] as const;
export const UserRole = Type.Union(
  ROLES.map((role) => Type.Literal(role)),
  { description: 'viewer, engineer or admin' },
);
export type UserRole = Static<typeof UserRole>;

export const USERNAME_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$';
export const Username = Type.String({
  pattern: USERNAME_PATTERN,
  description: 'username (letters, digits, _ . @ -, at most 64)',
});

export const SITE_ID_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
export const SiteId = Type.String({
  pattern: SITE_ID_PATTERN,
  description: 'site id (letters, digits, _ . -, at most 64)',
});

/** The sites a user may see: "all", or a list of site ids. */
export const SiteScope = Type.Union([
  Type.Literal('all'),
  Type.Array(SiteId, { minItems: 1, maxItems: 1000, uniqueItems: true }),
]);
export type SiteScope = Static<typeof SiteScope>;

export const MIN_PASSWORD_LENGTH = 10;
// scrypt pre-hashes its input, so length costs little; the cap only bounds the request.
export const MAX_PASSWORD_LENGTH = 1024;
export const NewPassword = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH });

export const TOKEN_LABEL_PATTERN = '^[A-Za-z0-9_.:@/ -]{1,64}$';
export const TokenLabel = Type.String({
  pattern: TOKEN_LABEL_PATTERN,
  description: 'token label (letters, digits, spaces, _ . : @ / -, at most 64)',
});

export const UserView = Type.Object(
  { username: Username, role: UserRole, sites: SiteScope },
  { additionalProperties: false },
);
export type UserView = Static<typeof UserView>;

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    // No policy check here: a login must not hint at what the password rules are.
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const LoginReply = Type.Object(
  {
    token: Type.String({ description: 'session token: send it as "Authorization: Bearer <token>"' }),
    expiresAt: Type.String({ format: 'date-time' }),
    user: UserView,
  },
  { additionalProperties: false },
);
export type LoginReply = Static<typeof LoginReply>;

export const UserListEntry = Type.Object(
  {
    username: Username,
    role: UserRole,
    sites: SiteScope,
    createdAt: Type.String({ format: 'date-time' }),
    disabledAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type UserListEntry = Static<typeof UserListEntry>;

export const UserListReply = Type.Object(
  { users: Type.Array(UserListEntry) },
  { additionalProperties: false },
);
export type UserListReply = Static<typeof UserListReply>;

export const CreateUserRequest = Type.Object(
  {
    username: Username,
    role: UserRole,
    sites: SiteScope,
    password: Type.Optional(NewPassword),
  },
  { additionalProperties: false },
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;

export const CreateUserReply = Type.Object(
  {
    username: Username,
    password: Type.Optional(
      Type.String({ description: 'the generated password, present only when none was given; shown once' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateUserReply = Static<typeof CreateUserReply>;

export const UpdateUserRequest = Type.Object(
  {
    role: Type.Optional(UserRole),
    sites: Type.Optional(SiteScope),
    disabled: Type.Optional(Type.Boolean({ description: 'true also revokes all tokens of the user' })),
    password: Type.Optional(NewPassword),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

export const UsernameParams = Type.Object({ username: Username }, { additionalProperties: false });
export type UsernameParams = Static<typeof UsernameParams>;

export const CreateApiTokenRequest = Type.Object({ label: TokenLabel }, { additionalProperties: false });
export type CreateApiTokenRequest = Static<typeof CreateApiTokenRequest>;

export const CreateApiTokenReply = Type.Object(
  {
    token: Type.String({ description: 'API token, shown once: send it as "Authorization: Bearer <token>"' }),
  },
  { additionalProperties: false },
);
export type CreateApiTokenReply = Static<typeof CreateApiTokenReply>;
