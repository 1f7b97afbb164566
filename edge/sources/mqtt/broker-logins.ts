import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { BrokerUserConfig } from './embedded-broker-config.js';

/** The agent's own MQTT clients (source, local alerts) log in with this name and a per-run secret. */
export const AGENT_USERNAME = 'plantwatch-agent';

const SHA256 = /^sha256:([0-9a-f]{64})$/i;
const SCRYPT = /^scrypt:([0-9a-f]{16,}):([0-9a-f]{32,})$/i;
const SCRYPT_OPTIONS = { N: 16384, r: 8, p: 1 };

/**
 * What is wrong with a list of logins (usernames unique; a password or a hash, not both; a usable
 * hash), each problem at `<at>/<index>/<field>`; `secretExample` is the `${ENV}` the message suggests.
 */
export function loginListProblems(
  users: readonly { username: string; password?: string | undefined; passwordHash?: string | undefined }[],
  at: string,
  secretExample: string,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  users.forEach((user, index) => {
    const here = `${at}/${index}`;
    if (seen.has(user.username))
      problems.push({ path: `${here}/username`, message: `duplicate username '${user.username}'` });
    seen.add(user.username);
    if ((user.password === undefined) === (user.passwordHash === undefined))
      problems.push({
        path: `${here}/password`,
        message: `give '${user.username}' either password (e.g. \${${secretExample}}) or passwordHash, not ${user.password === undefined ? 'neither' : 'both'}`,
      });
    const hashProblem = user.passwordHash === undefined ? undefined : passwordHashProblem(user.passwordHash);
    if (hashProblem) problems.push({ path: `${here}/passwordHash`, message: hashProblem });
  });
  return problems;
}

/** Why a passwordHash cannot be used, or undefined when it can. */
export function passwordHashProblem(hash: string): string | undefined {
  if (SHA256.test(hash) || SCRYPT.test(hash)) return undefined;
  return (
    "must be 'sha256:<64 hex digits>' or 'scrypt:<salt hex>:<key hex>' (N=16384, r=8, p=1); " +
    'edge/sources/mqtt/README.md shows how to make one'
  );
}

/** `scrypt:<salt>:<key>` for a password, for `mqtt.embedded.users[].passwordHash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptKey(password, salt, 32);
  return `scrypt:${salt.toString('hex')}:${key.toString('hex')}`;
}

function scryptKey(password: string | Buffer, salt: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, length, SCRYPT_OPTIONS, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Equal lengths first (digests), so the comparison takes the same time whatever the input. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** Whether `given` is the password a login's password or passwordHash stands for. */
export async function passwordMatches(
  login: Pick<BrokerUserConfig, 'password' | 'passwordHash'>,
  given: Buffer,
): Promise<boolean> {
  if (login.password !== undefined) return sameBytes(Buffer.from(login.password, 'utf8'), given);
  const hash = login.passwordHash ?? '';
  const sha = SHA256.exec(hash);
  if (sha?.[1]) {
    const digest = createHash('sha256').update(given).digest();
    return timingSafeEqual(digest, Buffer.from(sha[1], 'hex'));
  }
  const parts = SCRYPT.exec(hash);
  if (parts?.[1] && parts[2]) {
    const expected = Buffer.from(parts[2], 'hex');
    const key = await scryptKey(given, Buffer.from(parts[1], 'hex'), expected.length);
    return timingSafeEqual(key, expected);
  }
  return false;
}

/** A secret for the agent's own login, new each run, never written anywhere. */
export const agentSecret = (): string => randomBytes(32).toString('base64url');
