import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Tokens are 256 random bits, so a plain SHA-256 is enough to store them: a slow hash protects
 * guessable secrets, and these are not guessable. Passwords are chosen by people, so they get scrypt.
 */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The prefix says what a token is at a glance (in a config file, a leaked log, a secret scanner). */
export const TOKEN_PREFIXES = { gateway: 'pwgw_', session: 'pwss_', api: 'pwu_' } as const;
export type TokenKind = keyof typeof TOKEN_PREFIXES;

export const newToken = (kind: TokenKind): string =>
  `${TOKEN_PREFIXES[kind]}${randomBytes(32).toString('base64url')}`;

export const isGatewayToken = (token: string): boolean => token.startsWith(TOKEN_PREFIXES.gateway);

/** Enough of a token to tell tokens apart in a listing, far too little to guess the rest. */
export const tokenPrefix = (token: string): string => token.slice(0, token.indexOf('_') + 6);

/** 144 random bits in 24 URL-safe characters: strong, and survives copy-paste from a terminal. */
export const generatePassword = (): string => randomBytes(18).toString('base64url');

// OWASP's scrypt floor is N=2^17 with r=8; 2^15 keeps a login near 50 ms on a small cloud VM while
// costing an attacker with a stolen database the same per guess. The stored hash carries its own
// parameters, so raising them later only affects new and changed passwords.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

const scryptAsync = (password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) =>
  new Promise<Buffer>((resolve, reject) => {
    // Runs on libuv's thread pool, so a login never stalls the event loop.
    scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r * p }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength } = SCRYPT;
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, r, p, keyLength);
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), +n!, +r!, +p!, expected.length);
  return timingSafeEqual(key, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * A login for an unknown user checks the password against this, so it costs as long as one for a
 * real user and the response time does not tell an attacker which usernames exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(generatePassword());
  await verifyPassword(password, await dummyHash);
  return false;
}
