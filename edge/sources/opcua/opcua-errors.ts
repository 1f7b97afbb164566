import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The certificate the server sent most recently and we refused: node-opcua saves it in `rejected/`. */
function newestRejectedCertificate(pkiDir: string): string | undefined {
  const dir = join(pkiDir, 'rejected');
  try {
    return readdirSync(dir)
      .filter((name) => /\.(pem|der)$/i.test(name))
      .map((name) => ({ file: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime)[0]?.file;
  } catch {
    return undefined;
  }
}

/**
 * A connection failure in words an operator can act on. node-opcua's messages name the status code
 * but not what to do about it; certificate trouble is the most common reason OPC-UA gateways stay down.
 */
export function describeOpcuaError(error: unknown, context: { url: string; pkiDir: string }): string {
  const message = error instanceof Error ? error.message : String(error);
  const { url, pkiDir } = context;
  if (/BadCertificateUntrusted|certificate verification failed/i.test(message) && /server/i.test(message)) {
    const rejected = newestRejectedCertificate(pkiDir);
    return (
      `the certificate of ${url} is not trusted (BadCertificateUntrusted). ` +
      (rejected
        ? `It was saved as ${rejected}. If this is the server you expect, trust it: ` +
          `mv '${rejected}' '${join(pkiDir, 'trusted', 'certs')}/'`
        : `Put the server's certificate into ${join(pkiDir, 'trusted', 'certs')}/`) +
      '; the agent retries by itself'
    );
  }
  if (/BadSecurityChecksFailed|BadCertificate|Bad.*Certificate/i.test(message)) {
    return (
      `${url} refused this gateway's application certificate (${statusName(message)}). ` +
      `Trust ${join(pkiDir, 'own', 'certs', 'client_certificate.pem')} on the server ` +
      `(for the Plantwatch simulator: move it from <sim pki>/rejected to <sim pki>/trusted/certs)`
    );
  }
  if (/BadUserAccessDenied|BadIdentityTokenInvalid|BadIdentityTokenRejected/.test(message)) {
    return `${url} refused the login (${statusName(message)}): check username and password (or the user certificate) in the opcua endpoint config`;
  }
  if (/ECONNREFUSED|cannot be established/.test(message)) {
    return `${url} refuses connections: is the OPC-UA server running and the port right? (${firstLine(message)})`;
  }
  if (/BadServiceUnsupported|BadTooManySubscriptions|BadTooManyMonitoredItems/.test(message)) {
    return `${url} refuses subscriptions (${statusName(message)}): set mode: poll for this endpoint to read its nodes every pollInterval instead`;
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return `the host of ${url} cannot be resolved: check the URL`;
  if (/BadSecurityPolicyRejected|BadSecurityModeRejected|No endpoint/i.test(message)) {
    return `${url} offers no endpoint with this security mode and policy (${firstLine(message)}); check securityMode and securityPolicy`;
  }
  return firstLine(message);
}

const statusName = (message: string): string => /Bad[A-Za-z]+/.exec(message)?.[0] ?? firstLine(message);
const firstLine = (message: string): string => message.split('\n')[0]?.trim() ?? message;
