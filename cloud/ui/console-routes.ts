import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { packageRoot } from '../../shared/paths.js';

export interface ConsoleRoutesOptions {
  /** The package root holding cloud/ui/public, dist/cloud/ui/js and node_modules/uplot (default: ours). */
  root?: string;
}

/** Of uPlot's dist folder, only what the console loads. */
const VENDOR_FILES = new Set(['/uPlot.esm.js', '/uPlot.min.css']);

/**
 * The console's policy: nothing from elsewhere. uPlot sets inline styles, hence 'unsafe-inline' for
 * styles; the inline import map is a script, so it is allowed by its hash (and nothing else inline).
 */
export function consolePolicy(indexHtml: string): string {
  const hashes = [...indexHtml.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash('sha256')
        .update(match[1] ?? '')
        .digest('base64')}'`,
  );
  return [
    "default-src 'self'",
    ["script-src 'self'", ...hashes].join(' '),
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The engineers' web console: one HTML page (at `/` and `/ui/`) with its stylesheet, the browser
 * modules compiled from cloud/ui/src (`/ui/js/`), and uPlot from node_modules (`/ui/vendor/`),
 * all from this server: plants are often offline, so no CDN. The page talks to the review API
 * with the user's session token; nothing here needs one.
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, options) => {
  const root = options.root ?? packageRoot();
  const publicDir = join(root, 'cloud', 'ui', 'public');
  const scriptsDir = join(root, 'dist', 'cloud', 'ui', 'js');
  const vendorDir = join(root, 'node_modules', 'uplot', 'dist');
  const indexHtml = readFileSync(join(publicDir, 'index.html'), 'utf8');
  const policy = consolePolicy(indexHtml);
  if (!existsSync(join(scriptsDir, 'main.js'))) {
    app.log.warn(
      { scriptsDir },
      'the web console is not built: run `npm run build` (it compiles cloud/ui with its own tsconfig)',
    );
  }

  const sendIndex = async (_request: unknown, reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', policy)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // The page is tiny and names its scripts without hashes: always revalidate.
      .header('cache-control', 'no-cache')
      .send(indexHtml);
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, sendIndex);
  app.get('/ui/', hidden, sendIndex);
  app.get('/ui', hidden, async (_request, reply) => reply.redirect('/ui/', 301));

  const nosniff = (res: { setHeader(name: string, value: string): void }) =>
    res.setHeader('x-content-type-options', 'nosniff');
  // The page's own files, each a route of its own (no wildcard at `/`, which would shadow 404s).
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/',
    wildcard: false,
    index: false,
    globIgnore: ['index.html'],
    decorateReply: false,
    setHeaders: nosniff,
  });
  await app.register(fastifyStatic, {
    root: scriptsDir,
    prefix: '/ui/js/',
    decorateReply: false,
    allowedPath: (pathName) => /\.js(\.map)?$/.test(pathName),
    setHeaders: nosniff,
  });
  await app.register(fastifyStatic, {
    root: vendorDir,
    prefix: '/ui/vendor/',
    decorateReply: false,
    allowedPath: (pathName) => VENDOR_FILES.has(pathName),
    setHeaders: nosniff,
  });
};
