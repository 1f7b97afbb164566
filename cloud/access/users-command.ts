import { Command, InvalidArgumentError, Option } from 'commander';
import { oneOf } from '../../shared/cli-options.js';
import { SITE_ID_PATTERN } from '../../shared/schema/access.js';
import { cliActor } from '../audit/admin-audit.js';
import { openCloudDatabase } from '../open-cloud-store.js';
import { AccessStore, type UserChanges } from './access-store.js';
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

/** `plantwatch cloud tokens ...`: per-gateway ingest tokens. */
export function gatewayTokensCommand(defaultDb: string): Command {
  const tokens = new Command('tokens').description('per-gateway ingest tokens');
  tokens
    .command('create')
    .description('create a token for a gateway; printed once, stored hashed')
    .argument('<gatewayId>')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (gatewayId: string, flags: { db: string }) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(gatewayId)) {
        throw new Error(`gateway id '${gatewayId}' may contain only letters, digits, _ . - (at most 64)`);
      }
      const token = await withAccess(flags.db, (access) => access.createGatewayToken(gatewayId, cliActor()));
      console.error(
        `token for gateway '${gatewayId}' (shown once; put it in the edge config as cloud.token):`,
      );
      console.log(token);
    });
  tokens
    .command('list')
    .description('gateway tokens, one a line: gateway, token prefix, created, revoked')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (flags: { db: string }) => {
      for (const t of await withAccess(flags.db, (access) => access.listGatewayTokens())) {
        console.log(
          `${t.gatewayId}\t${t.tokenPrefix}…\tcreated ${t.createdAt}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ''}`,
        );
      }
    });
  tokens
    .command('revoke')
    .description('revoke every token of a gateway')
    .argument('<gatewayId>')
    .option('--db <path|url>', DB_HELP, defaultDb)
    .action(async (gatewayId: string, flags: { db: string }) => {
      const n = await withAccess(flags.db, (access) => access.revokeGatewayTokens(gatewayId, cliActor()));
      console.log(`revoked ${n} token(s) of gateway '${gatewayId}'`);
    });
  return tokens;
}
