import { Command, InvalidArgumentError, Option } from 'commander';
import { oneOf } from '../../shared/cli-options.js';
import { SITE_ID_PATTERN } from '../../shared/schema/access.js';
import { cliActor } from '../audit/admin-audit.js';
import { openCloudDatabase } from '../open-cloud-store.js';
import { durationMs } from '../../shared/duration.js';
import { AccessStore, type UserChanges } from './access-store.js';
import { DEFAULT_ROTATION_GRACE_MS, type GatewayTokenInfo, upgradeBindingWarning } from './gateway-tokens.js';
import { ROLES, type Role, type UserSites } from './roles.js';

const DB_HELP = 'cloud database: SQLite file or postgres://user:pass@host/db';
const SITE_ID = new RegExp(SITE_ID_PATTERN);

/** `--sites all` or `--sites plant-a,plant-b`. */
export const siteList = (value: string): UserSites => {
  if (value.trim() === 'all') return 'all';
  const sites = [...new Set(value.split(',').map((site) => site.trim()))].filter(Boolean);
  if (sites.length === 0)
    throw new InvalidArgumentError(`expected 'all' or site ids separated by commas, got '${value}'`);
  const bad = sites.find((site) => !SITE_ID.test(site));
  if (bad !== undefined) {
    throw new InvalidArgumentError(`site id '${bad}' may contain only letters, digits, _ . - (at most 64)`);
  }
  return sites;
};

const describeSites = (sites: UserSites): string => (sites === 'all' ? 'all' : sites.join(','));

async function withAccess<T>(db: string, work: (access: AccessStore) => Promise<T>): Promise<T> {
  const database = await openCloudDatabase(db);
  try {
    return await work(new AccessStore(database));
  } finally {
    await database.close();
  }
}

/** Like `docker login --password-stdin`: keeps the password out of shell history and `ps`. */
async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) console.error('password (then Enter and Ctrl-D):');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

interface CreateFlags {
  role: Role;
  sites: UserSites;
  passwordStdin?: boolean;
  db: string;
}

interface SetFlags {
  role?: Role;
  sites?: UserSites;
  disable?: boolean;
  enable?: boolean;
  passwordStdin?: boolean;
  db: string;
}

async function changesFrom(flags: SetFlags): Promise<UserChanges> {
  const changes: UserChanges = {
    ...(flags.role ? { role: flags.role } : {}),
    ...(flags.sites ? { sites: flags.sites } : {}),
    ...(flags.disable ? { disabled: true } : {}),
    ...(flags.enable ? { disabled: false } : {}),
    ...(flags.passwordStdin ? { password: await readPasswordFromStdin() } : {}),
  };
  if (Object.keys(changes).length === 0) {
    throw new Error('nothing to change: give --role, --sites, --disable, --enable or --password-stdin');
  }
  return changes;
}

/** `plantwatch cloud users ...`: the people who use the review API and console. */
export function usersCommand(defaultDb: string): Command {
  const users = new Command('users').description('people who use the review API: roles, sites, API tokens');
  const roleHelp = `${ROLES.join(', ')} (each may do what the ones before it may)`;
  const sitesHelp = "'all', or site ids separated by commas";

  users
    .command('create')
    .description('create a user; without --password-stdin a strong password is generated and printed once')
    .argument('<username>')
    .requiredOption('--role <role>', roleHelp, oneOf(ROLES))
    .option('--sites <sites>', sitesHelp, siteList, 'all')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (username: string, flags: CreateFlags) => {
      const given = flags.passwordStdin ? await readPasswordFromStdin() : undefined;
      const { password } = await withAccess(flags.db, (access) =>
        access.createUser(
          {
            username,
            role: flags.role,
            sites: flags.sites,
            ...(given !== undefined ? { password: given } : {}),
          },
          cliActor(),
        ),
      );
      if (given !== undefined) {
        console.error(`created user '${username}' (${flags.role}, sites: ${describeSites(flags.sites)})`);
        return;
      }
      console.error(
        `password for '${username}' (${flags.role}, sites: ${describeSites(flags.sites)}); shown once, log in with POST /api/v1/login:`,
      );
      console.log(password);
    });

  users
    .command('list')
    .description('users, one a line: username, role, sites, created, disabled')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (flags: { db: string }) => {
      for (const u of await withAccess(flags.db, (access) => access.listUsers())) {
        console.log(
          `${u.username}\t${u.role}\t${describeSites(u.sites)}\tcreated ${u.createdAt}${u.disabledAt ? `\tdisabled ${u.disabledAt}` : ''}`,
        );
      }
    });

  users
    .command('set')
    .description("change a user's role, sites or password, or disable them (which revokes their tokens)")
    .argument('<username>')
    .option('--role <role>', roleHelp, oneOf(ROLES))
    .option('--sites <sites>', sitesHelp, siteList)
    .addOption(new Option('--disable', 'refuse their logins and revoke their tokens').conflicts('enable'))
    .option('--enable', 'allow a disabled user to log in again')
    .option('--password-stdin', 'set a new password read from stdin (ends their sessions)')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (username: string, flags: SetFlags) => {
      const changes = await changesFrom(flags);
      await withAccess(flags.db, (access) => access.updateUser(username, changes, cliActor()));
      console.log(`updated user '${username}': ${Object.keys(changes).join(', ')}`);
    });

  users
    .command('token')
    .description('create an API token for a user (for scripts; no expiry); printed once, stored hashed')
    .argument('<username>')
    .option('--label <name>', 'what the token is for, shown in listings', 'api')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (username: string, flags: { label: string; db: string }) => {
      const token = await withAccess(flags.db, (access) =>
        access.createApiToken(username, flags.label, cliActor()),
      );
      console.error(`API token for '${username}' (shown once; send it as "Authorization: Bearer <token>"):`);
      console.log(token);
    });

  users
    .command('revoke-tokens')
    .description("revoke all of a user's sessions and API tokens")
    .argument('<username>')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (username: string, flags: { db: string }) => {
      const n = await withAccess(flags.db, (access) => access.revokeUserTokens(username, cliActor()));
      console.log(`revoked ${n} token(s) of user '${username}'`);
    });
  return users;
}

/** `--expires 90d`, `--grace 24h`: a positive duration. */
const positiveDuration = (value: string): number => {
  let ms: number;
  try {
    ms = durationMs(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  if (ms <= 0) throw new InvalidArgumentError(`'${value}' must be longer than 0`);
  return ms;
};

/** Repeatable `--site <site>`: the sites a gateway may write. */
const collectSite = (value: string, previous: string[] = []): string[] => {
  if (!SITE_ID.test(value)) {
    throw new InvalidArgumentError(`site id '${value}' may contain only letters, digits, _ . - (at most 64)`);
  }
  return [...previous, value];
};

const SITE_HELP = 'a site the gateway may write (repeat for several)';

const describeToken = (t: GatewayTokenInfo): string =>
  [
    t.id,
    t.gatewayId,
    `${t.tokenPrefix}…`,
    `sites ${t.sites.length > 0 ? t.sites.join(',') : '(none)'}${t.sitesFrom === 'upgrade' ? ' (from upgrade)' : ''}`,
    `created ${t.createdAt}`,
    `expires ${t.expiresAt ?? 'never'}`,
    `last used ${t.lastUsedAt ?? 'never'}`,
    ...(t.revokedAt ? [`revoked ${t.revokedAt}`] : []),
  ].join('\t');

/** `plantwatch cloud tokens ...`: per-gateway ingest tokens. */
export function gatewayTokensCommand(defaultDb: string): Command {
  const tokens = new Command('tokens').description(
    'per-gateway ingest tokens, each bound to the sites it may write',
  );
  tokens
    .command('create')
    .description('create a token for a gateway and the sites it may write; printed once, stored hashed')
    .argument('<gatewayId>')
    .requiredOption('--site <site>', SITE_HELP, collectSite)
    .option(
      '--expires <duration>',
      'valid for this long, e.g. 90d (default: until revoked)',
      positiveDuration,
    )
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (gatewayId: string, flags: { site: string[]; expires?: number; db: string }) => {
      const token = await withAccess(flags.db, (access) =>
        access.createGatewayToken(
          gatewayId,
          {
            sites: flags.site,
            ...(flags.expires !== undefined ? { expiresInMs: flags.expires } : {}),
          },
          cliActor(),
        ),
      );
      console.error(
        `token for gateway '${gatewayId}', sites ${flags.site.join(', ')} (shown once; put it in the edge config as cloud.token):`,
      );
      console.log(token);
    });
  tokens
    .command('rotate')
    .description('issue a new token for a gateway; its current tokens stay valid until --grace ends')
    .argument('<gatewayId>')
    .option(
      '--grace <duration>',
      'how long the current tokens stay valid',
      positiveDuration,
      DEFAULT_ROTATION_GRACE_MS,
    )
    .option(
      '--expires <duration>',
      'the new token is valid for this long (default: until revoked)',
      positiveDuration,
    )
    .option('--site <site>', `${SITE_HELP}; default: the current tokens' sites`, collectSite)
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(
      async (gatewayId: string, flags: { grace: number; expires?: number; site?: string[]; db: string }) => {
        const { token, oldValidUntil } = await withAccess(flags.db, (access) =>
          access.rotateGatewayToken(
            gatewayId,
            {
              graceMs: flags.grace,
              ...(flags.site ? { sites: flags.site } : {}),
              ...(flags.expires !== undefined ? { expiresInMs: flags.expires } : {}),
            },
            cliActor(),
          ),
        );
        console.error(
          `new token for gateway '${gatewayId}' (shown once); its previous tokens stay valid until ${oldValidUntil}:`,
        );
        console.log(token);
      },
    );
  tokens
    .command('sites')
    .description('bind every unrevoked token of a gateway to the sites it may write')
    .argument('<gatewayId>')
    .requiredOption('--site <site>', SITE_HELP, collectSite)
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (gatewayId: string, flags: { site: string[]; db: string }) => {
      const n = await withAccess(flags.db, (access) =>
        access.bindGatewaySites(gatewayId, flags.site, cliActor()),
      );
      console.log(`bound ${n} token(s) of gateway '${gatewayId}' to sites ${flags.site.join(', ')}`);
    });
  tokens
    .command('list')
    .description(
      'gateway tokens, one a line: id, gateway, prefix, sites, created, expires, last used, revoked',
    )
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (flags: { db: string }) => {
      const list = await withAccess(flags.db, (access) => access.listGatewayTokens());
      for (const t of list) console.log(describeToken(t));
      const at = new Date().toISOString();
      for (const t of list) {
        const valid = !t.revokedAt && (t.expiresAt === undefined || t.expiresAt > at);
        if (valid && t.sitesFrom === 'upgrade') console.error(`warning: ${upgradeBindingWarning(t)}`);
      }
    });
  tokens
    .command('revoke')
    .description('revoke every token of a gateway, or one (--token <id> from `tokens list`)')
    .argument('<gatewayId>')
    .option('--token <id>', 'revoke only this token')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (gatewayId: string, flags: { token?: string; db: string }) => {
      const n = await withAccess(flags.db, (access) =>
        access.revokeGatewayTokens(gatewayId, cliActor(), flags.token),
      );
      console.log(`revoked ${n} token(s) of gateway '${gatewayId}'`);
    });
  return tokens;
}
