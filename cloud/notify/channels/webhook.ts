import { signedHeaders } from '../../bus/webhook-signature.js';

/** POSTs a notification as JSON, signed with the channel's secret when it has one. */
export async function postWebhook(url: string, secret: string | undefined, body: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'plantwatch-notifications',
      ...(secret ? signedHeaders(secret, body) : {}),
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  // Drain the body so the connection can be reused.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
}
