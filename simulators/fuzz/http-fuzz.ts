import fc from 'fast-check';
import { hostileRawBody, hostileString } from './hostile-values.js';
import { hostileFor, type JsonSchema, type KnownValues, parameterText } from './schema-arbitraries.js';

/** One route as the OpenAPI document (or the caller, for the edge) describes it. */
export interface RouteSpec {
  method: string;
  /** With `{name}` placeholders. */
  path: string;
  pathParams: { name: string; schema: JsonSchema }[];
  queryParams: { name: string; schema: JsonSchema }[];
  /** The JSON body's schema; `raw` for routes that read the body as a file (imports). */
  body?: JsonSchema | 'raw';
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

/** Every operation of an OpenAPI 3 document as a RouteSpec. */
export function routesOf(doc: { paths: Record<string, Record<string, OpenApiOperation>> }): RouteSpec[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const params = op.parameters ?? [];
      const json = op.requestBody?.content['application/json']?.schema;
      const takesBody = ['post', 'put', 'patch'].includes(method);
      return {
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        ...(json ? { body: json } : takesBody ? { body: 'raw' as const } : {}),
      };
    }),
  );
}

export interface HttpCase {
  route: RouteSpec;
  identity: string;
  url: string;
  body?: string;
  contentType?: string;
}

// Lone surrogates cannot be percent-encoded; they travel as U+FFFD, the way browsers send them.
const encodeSegment = (text: string, raw: boolean) =>
  raw ? text : encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));

function caseFor(
  route: RouteSpec,
  identities: readonly string[],
  known: KnownValues,
): fc.Arbitrary<HttpCase> {
  const pathParams = fc.tuple(...route.pathParams.map((p) => parameterText(p.schema, p.name, known)));
  const query = fc.tuple(
    ...route.queryParams.map((p) => fc.option(parameterText(p.schema, p.name, known), { nil: undefined })),
  );
  const extraQuery = fc.option(fc.tuple(hostileString, hostileString), { nil: undefined, freq: 4 });
  const body: fc.Arbitrary<{ body?: string; contentType?: string }> =
    route.body === undefined
      ? fc.constant({})
      : route.body === 'raw'
        ? fc
            .tuple(
              fc.oneof(hostileRawBody, hostileString),
              fc.constantFrom('text/csv', 'application/json', 'text/plain'),
            )
            .map(([b, contentType]) => ({ body: b, contentType }))
        : fc.oneof(
            {
              arbitrary: hostileFor(route.body, known).map((v) => ({
                body: JSON.stringify(v) ?? 'null',
                contentType: 'application/json',
              })),
              weight: 8,
            },
            {
              arbitrary: hostileRawBody.map((b) => ({ body: b, contentType: 'application/json' })),
              weight: 1,
            },
            { arbitrary: hostileString.map((b) => ({ body: b, contentType: 'text/plain' })), weight: 1 },
          );
  return fc
    .tuple(fc.constantFrom(...identities), pathParams, query, extraQuery, body, fc.boolean())
    .map(([identity, pathValues, queryValues, extra, b, rawPath]) => {
      let i = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => encodeSegment(pathValues[i++] ?? '', rawPath));
      const search = new URLSearchParams();
      route.queryParams.forEach((p, j) => {
        const value = queryValues[j];
        if (value !== undefined) search.append(p.name, value);
      });
      if (extra) search.append(extra[0], extra[1]);
      const qs = search.toString();
      return { route, identity, url: qs ? `${path}?${qs}` : path, ...b };
    });
}

export interface SurfaceFigures {
  surface: string;
  inputs: number;
  status5xx: number;
  crashes: number;
  badErrorBodies: number;
  /** URLs past Node's 16 KiB header limit: refused by the HTTP parser (431, connection closed). */
  oversizedUrls: number;
  findings: string[];
}

export const emptyFigures = (surface: string): SurfaceFigures => ({
  surface,
  inputs: 0,
  status5xx: 0,
  crashes: 0,
  badErrorBodies: 0,
  oversizedUrls: 0,
  findings: [],
});

// Node's default --max-http-header-size: a longer request line is closed by the parser itself.
const MAX_HEADER_BYTES = 16 * 1024;

const FIELD_PREFIX = /^(body|querystring|params|headers)\b/;

/** What is wrong with a 4xx body, if anything: the one error format, naming the field for schema errors. */
export function errorBodyProblem(status: number, text: string): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'the error body is not JSON';
  }
  if (body.statusCode !== status)
    return `statusCode ${String(body.statusCode)} differs from the status ${status}`;
  if (typeof body.error !== 'string' || typeof body.message !== 'string' || !body.message) {
    return 'the error body lacks error or message';
  }
  if (body.code === 'FST_ERR_VALIDATION' && !FIELD_PREFIX.test(body.message)) {
    return `a validation error that names no field: ${body.message}`;
  }
  return undefined;
}

/** fetch's own message is only "fetch failed"; the socket's reason is in its causes. */
const errorChain = (error: unknown): string => {
  const messages: string[] = [];
  for (let e = error; e instanceof Error && messages.length < 4; e = e.cause) {
    messages.push(
      (e as NodeJS.ErrnoException).code ? `${e.message} [${(e as NodeJS.ErrnoException).code}]` : e.message,
    );
  }
  return messages.join(': ');
};

const describeCase = (c: HttpCase) =>
  `${c.route.method} ${c.url.slice(0, 200)} as ${c.identity}` +
  (c.body !== undefined
    ? ` body ${JSON.stringify(c.body.slice(0, 300))}${c.body.length > 300 ? `… (${c.body.length} chars)` : ''}`
    : '');

export interface HttpTarget {
  baseUrl: string;
  /** identity name → bearer token; `anonymous` sends none. */
  tokens: Record<string, string | undefined>;
}

async function sendCase(target: HttpTarget, c: HttpCase, figures: SurfaceFigures): Promise<void> {
  const headers: Record<string, string> = {};
  const token = target.tokens[c.identity];
  if (token) headers.authorization = `Bearer ${token}`;
  if (c.contentType) headers['content-type'] = c.contentType;
  figures.inputs++;
  let status: number;
  let text: string;
  try {
    const response = await fetch(`${target.baseUrl}${c.url}`, {
      method: c.route.method,
      headers,
      ...(c.body !== undefined && c.route.method !== 'GET' && c.route.method !== 'DELETE'
        ? { body: c.body }
        : {}),
      signal: AbortSignal.timeout(20_000),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    // A URL fetch itself refuses (bad characters) is the client's doing, not the server's.
    if (error instanceof TypeError && !(error.cause instanceof Error)) return;
    if (c.url.length > MAX_HEADER_BYTES) {
      figures.oversizedUrls++;
      return;
    }
    figures.crashes++;
    figures.findings.push(`no answer (${errorChain(error)}): ${describeCase(c)}`);
    return;
  }
  if (status >= 500) {
    figures.status5xx++;
    figures.findings.push(`${status} ${text.slice(0, 200)}: ${describeCase(c)}`);
  } else if (status >= 400) {
    const problem = errorBodyProblem(status, text);
    if (problem) {
      figures.badErrorBodies++;
      figures.findings.push(`${status} ${problem}: ${describeCase(c)}`);
    }
  }
}

export interface HttpFuzzOptions {
  surface: string;
  target: HttpTarget;
  routes: RouteSpec[];
  known?: KnownValues;
  seed: number;
  /** Inputs per route. */
  runsPerRoute: number;
  /** Stop each route's run after this long, whatever the count. */
  msPerRoute: number;
}

/** Throws every route hostile requests (fast-check, one seed) and counts what the server did wrong. */
export async function fuzzHttp(options: HttpFuzzOptions): Promise<SurfaceFigures> {
  const figures = emptyFigures(options.surface);
  const identities = Object.keys(options.target.tokens);
  for (const [index, route] of options.routes.entries()) {
    await fc.check(
      fc.asyncProperty(caseFor(route, identities, options.known ?? {}), async (c) => {
        await sendCase(options.target, c, figures);
        return true;
      }),
      {
        seed: options.seed + index,
        numRuns: options.runsPerRoute,
        interruptAfterTimeLimit: options.msPerRoute,
        markInterruptAsFailure: false,
        endOnFailure: true,
      },
    );
  }
  // Still serving after the campaign (an edge without its cloud answers 503 "degraded": alive too).
  const alive = await fetch(`${options.target.baseUrl}/healthz`, { signal: AbortSignal.timeout(10_000) })
    .then(() => true)
    .catch(() => false);
  if (!alive) {
    figures.crashes++;
    figures.findings.push('/healthz does not answer after the campaign');
  }
  return figures;
}
