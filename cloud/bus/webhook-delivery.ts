import type { TicketChange } from '../../shared/schema/index.js';
import { signedHeaders } from './webhook-signature.js';

export const EVENT_HEADER = 'x-plantwatch-event';
/** The change's cursor: the same on every retry of it, so receivers dedupe on it. */
export const DELIVERY_HEADER = 'x-plantwatch-delivery';

/** A delivery the receiver did not take: the change consumer retries it after a backoff. */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/**
 * POSTs one change, signed with the subscription's secret. Resolves on a 2xx; anything else (a
 * redirect included: a signed body is not sent on to an address nobody subscribed) throws.
 */
export async function deliverWebhook(
  target: { url: string; secret: string },
  change: TicketChange,
  options: { timeoutMs: number; nowMs?: number },
): Promise<void> {
  const body = JSON.stringify(change);
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'plantwatch-event-bus',
        [EVENT_HEADER]: change.type,
        [DELIVERY_HEADER]: change.cursor,
        ...signedHeaders(target.secret, body, options.nowMs),
      },
      body,
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new WebhookDeliveryError(`POST ${target.url} failed: ${reason}`);
  }
  // Drain the body so the connection can be reused; its content does not matter.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    throw new WebhookDeliveryError(`POST ${target.url} answered ${response.status}`, response.status);
  }
}
