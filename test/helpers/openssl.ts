import { execFileSync } from 'node:child_process';

/**
 * Runs the openssl command. node-opcua-crypto restores OPENSSL_CONF after its own calls by assigning
 * what it saved, so a worker that ran an OPC-UA test before holds the text "undefined" there, and
 * openssl then fails to open a file of that name: the variable goes unless it names a real value.
 */
export function openssl(args: string[], options: { cwd?: string } = {}): Buffer {
  const env = { ...process.env };
  if (env.OPENSSL_CONF === 'undefined' || env.OPENSSL_CONF === '') delete env.OPENSSL_CONF;
  return execFileSync('openssl', args, { ...options, env, stdio: 'pipe' });
}
