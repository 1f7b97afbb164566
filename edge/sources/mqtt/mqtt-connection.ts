import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from './mqtt-config.js';

/**
 * The login and TLS material every MQTT client of the agent (the source, the local alerts) uses on
 * the broker. Files are read here, at start, so a missing one stops the agent with its config key
 * and path instead of failing every reconnection; their contents are never logged.
 */
export function brokerConnectOptions(
  mqtt: Pick<MqttConfig, 'username' | 'password' | 'tls'>,
): IClientOptions {
  const { username, password, tls } = mqtt;
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls
      ? {
          ...(tls.caFile
            ? { ca: readTlsFile('caFile', tls.caFile, "the CA certificate that signed the broker's") }
            : {}),
          ...(tls.certFile
            ? { cert: readTlsFile('certFile', tls.certFile, "the agent's client certificate") }
            : {}),
          ...(tls.keyFile ? { key: readTlsFile('keyFile', tls.keyFile, 'the private key of certFile') } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
          rejectUnauthorized: tls.rejectUnauthorized,
        }
      : {}),
  };
}

function readTlsFile(key: string, path: string, what: string): Buffer {
  return readPemFile(`mqtt.tls.${key}`, path, what);
}

/** A PEM file named by a config key, read at start; the error names the key, never the contents. */
export function readPemFile(configKey: string, path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`${configKey}: cannot read ${path} (${reason}); it should hold ${what} (PEM)`, {
      cause: error,
    });
  }
}

/** A TLS failure in words that say which setting to change; other errors as they are. */
export function describeMqttError(error: Error, url: string): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|CERT_UNTRUSTED/.test(code))
    return `the certificate of ${url} is not trusted (${error.message}): set mqtt.tls.caFile to the CA certificate that signed it`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the certificate of ${url} does not name this host (${error.message}): connect by the name it carries, or set mqtt.tls.servername to it`;
  if (code === 'CERT_HAS_EXPIRED') return `the certificate of ${url} has expired (${error.message})`;
  if (code === 'ECONNREFUSED') return `nothing listens at ${url} yet (${error.message}); retrying`;
  return error.message;
}
