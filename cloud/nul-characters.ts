import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import { sendHttpError } from './http-errors.js';

/**
 * Where a request value holds a NUL character (U+0000), as `body/a/0/b`, or undefined. Iterative:
 * bodies may nest a thousand levels deep before the schema refuses them.
 */
export function nulCharacterAt(value: unknown, part: string): string | undefined {
  const stack: [unknown, string][] = [[value, part]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path;
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        if (key.includes('\u0000')) return `${path}/${key.replaceAll('\u0000', '\\u0000')}`;
        stack.push([child, `${path}/${key}`]);
      }
    }
  }
  return undefined;
}

/**
 * Refuses text holding U+0000 in path parameters, query strings and JSON bodies with a 400 naming
 * the field. PostgreSQL cannot store or even compare it (`invalid byte sequence for encoding
 * "UTF8": 0x00`, a 500), SQLite would keep it: one answer on both stores, before any query runs.
 */
export function refuseNulCharacters(app: FastifyInstance, refusals: Counter<'code'>): void {
  app.addHook('preValidation', async (request, reply) => {
    const field =
      nulCharacterAt(request.params, 'params') ??
      nulCharacterAt(request.query, 'querystring') ??
      nulCharacterAt(request.body, 'body');
    if (!field) return;
    refusals.inc({ code: 'PW_NUL_CHARACTER' });
    return sendHttpError(
      reply,
      'PW_NUL_CHARACTER',
      `${field} holds a NUL character (U+0000), which the cloud cannot store; remove it and send again`,
    );
  });
}
