import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, as Stripe and GitHub do them: HMAC-SHA256 over `<timestamp>.<body>` with the
 * subscription's secret. The timestamp is signed too, so a captured delivery cannot be replayed
 * later; receivers reject timestamps older than a few minutes.
 */
export const SIGNATURE_HEADER = 'x-plantwatch-signature';
export const TIMESTAMP_HEADER = 'x-plantwatch-timestamp';

export function signatureOf(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** The headers that sign a body sent now. */
export function signedHeaders(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestampS = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestampS),
    [SIGNATURE_HEADER]: signatureOf(secret, timestampS, body),
  };
}

/** What a receiver does: true when the signature is the secret's and the timestamp recent. */
export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { nowMs?: number; toleranceS?: number } = {},
): boolean {
  const timestampS = Number(headers.timestamp);
  if (!Number.isInteger(timestampS) || !headers.signature) return false;
  const ageS = Math.abs((options.nowMs ?? Date.now()) / 1000 - timestampS);
  if (ageS > (options.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signatureOf(secret, timestampS, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
