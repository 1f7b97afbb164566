import { promisify } from 'node:util';
import { constants as zlibConstants, gzip } from 'node:zlib';
import type { BackoffPolicy } from '../../shared/backoff.js';
import type { CloudConfig } from '../config.js';

/** How the agent reaches the cloud: the same link, token and limits for tickets and telemetry. */
export interface CloudLink {
  cloudUrl: string;
  token: string;
  requestTimeoutMs: number;
  /** gzip each batch: ticket JSON shrinks about tenfold, which matters on a metered or slow link. */
  compress: boolean;
}

/** The link and its retry policy as the edge config's `cloud` section sets them. */
export function cloudLinkOf(cloud: CloudConfig): CloudLink & { backoff: BackoffPolicy } {
  return {
    cloudUrl: cloud.url,
    token: cloud.token,
    requestTimeoutMs: cloud.requestTimeoutMs,
    compress: cloud.compress,
    backoff: { initialMs: cloud.retryInitialMs, maxMs: cloud.retryMaxMs },
  };
}

export interface CloudAnswer {
  status: number;
  ok: boolean;
  text: string;
  headers: Headers;
}

const gzipAsync = promisify(gzip);

/** A request body as the link sends it. The fastest level gets most of the size gain, and runs on the thread pool. */
export async function encodeCloudBody(json: string, compress: boolean): Promise<string | Buffer> {
  return compress ? gzipAsync(json, { level: zlibConstants.Z_BEST_SPEED }) : json;
}

/** POSTs a JSON body (encoded by encodeCloudBody) with the gateway's token; aborts on timeout or on stop. */
export async function postToCloud(
  link: CloudLink,
  path: string,
  body: string | Buffer,
  stop: AbortSignal,
): Promise<CloudAnswer> {
  const response = await fetch(new URL(path, link.cloudUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(link.compress ? { 'content-encoding': 'gzip' } : {}),
      authorization: `Bearer ${link.token}`,
    },
    body,
    signal: AbortSignal.any([AbortSignal.timeout(link.requestTimeoutMs), stop]),
  });
  return { status: response.status, ok: response.ok, text: await response.text(), headers: response.headers };
}

/** The cloud asked us to wait (a 429, or a 503 with Retry-After); `retryAfterMs` says for how long. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** The cloud asked us to slow down. */
export class RateLimited extends RetryLater {}

/** The cloud (or its proxy) is down for maintenance or overloaded, and said when to come back. */
export class CloudUnavailable extends RetryLater {}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110, 10.2.3); 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : 0;
}

/** Status and the start of the body, for a log line. */
export const answerDetail = (answer: CloudAnswer): string => `${answer.status} ${answer.text.slice(0, 300)}`;

/** The `message` of the cloud's error format, or the start of whatever it sent. */
export function serverMessage(answer: CloudAnswer): string {
  try {
    const { message } = JSON.parse(answer.text) as { message?: unknown };
    if (typeof message === 'string') return message;
  } catch {
    // not our error format: a proxy's page, say
  }
  return answer.text.slice(0, 300);
}

/** The failures every sender meets alike: a rate limit, refused credentials, or anything else. */
export function cloudError(answer: CloudAnswer, what: string): Error {
  const detail = answerDetail(answer);
  const retryAfter = answer.headers.get('retry-after');
  if (answer.status === 429) {
    return new RateLimited(`cloud is rate-limiting this gateway (${detail})`, retryAfterMs(retryAfter));
  }
  if (answer.status === 503 && retryAfter !== null) {
    return new CloudUnavailable(`cloud is unavailable for now (${detail})`, retryAfterMs(retryAfter));
  }
  if (answer.status === 401 || answer.status === 403) {
    return new Error(
      `cloud refused this gateway's credentials (${detail}); check cloud.token in the edge config`,
    );
  }
  return new Error(`${what} answered ${detail}`);
}
