import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Digests are compared, so the time
 * taken says nothing about how much of a guess was right, nor about the token's length.
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/** The 401 body and header for a request without the right token; `setting` names where it is configured. */
export function unauthorizedReply(setting: string) {
  return {
    headers: { 'www-authenticate': 'Bearer realm="plantwatch"' },
    body: {
      statusCode: 401,
      error: 'Unauthorized',
      message: `send the token set in ${setting} as 'Authorization: Bearer <token>'`,
    },
  };
}
