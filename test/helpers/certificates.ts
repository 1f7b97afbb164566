import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl as runOpenssl } from './openssl.js';

/** A CA, a broker certificate for broker.plant.test and a client certificate, made with openssl. */
export function certificates(dir: string) {
  const openssl = (...args: string[]) => runOpenssl(args, { cwd: dir });
  const key = (name: string) => openssl('genrsa', '-out', `${name}.key`, '2048');
  key('ca');
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Test Plant CA',
  );
  for (const [name, cn] of [
    ['broker', 'broker.plant.test'],
    ['client', 'gw-test'],
  ] as const) {
    key(name);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(
      join(dir, `${name}.ext`),
      name === 'broker' ? 'subjectAltName=DNS:broker.plant.test\n' : '',
    );
    openssl(
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`],
    );
  }
  const path = (file: string) => join(dir, file);
  return {
    ca: path('ca.pem'),
    brokerCert: path('broker.pem'),
    brokerKey: path('broker.key'),
    cert: path('client.pem'),
    key: path('client.key'),
  };
}
