/** What a secret is shown as in the audit log: that it was set or changed, never its value. */
export const REDACTED = '********';

// Field names that hold a secret wherever they appear: users' passwords, token secrets, webhook
// secrets, SMTP passwords, CMMS credentials. tokenPrefix is not one: it identifies, it does not open.
const SECRET_KEY =
  /^(password|passwd|pass|secret|token|apikey|api_key|credentials?|authorization|passwordhash|password_hash|clientsecret|client_secret|smtppassword|accesstoken|access_token|refreshtoken|refresh_token|privatekey|private_key)$/i;
const SECRET_SUFFIX = /(password|secret|apikey|api_key|credentials?)$/i;

const isSecretKey = (key: string): boolean => SECRET_KEY.test(key) || SECRET_SUFFIX.test(key);

/** `https://user:pass@host/x` → `https://user:********@host/x`; other text is left as it is. */
function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, `$1:${REDACTED}@`);
}

/**
 * A copy of value with the value of every secret field replaced by REDACTED (at any depth) and
 * passwords inside URLs masked. Applied to every before and after the audit log stores, so a
 * caller that forgets cannot leak one.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([key, v]) => [key, isSecretKey(key) && v !== null ? REDACTED : redactSecrets(v)]),
  );
}
