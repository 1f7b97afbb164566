import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../config.js';
import { packageRoot } from '../../../shared/paths.js';
import { removeTempDirs, tempDir } from '../../../test/helpers/stack.js';
import { opcuaServerProblems, resolveOpcuaServer } from './opcua-server-config.js';

afterAll(removeTempDirs);

const HEAD =
  'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://127.0.0.1:8080\n  token: pwgw_0123456789abcdef\n';

function configFile(text: string): string {
  const file = join(tempDir(), 'edge.yaml');
  writeFileSync(file, HEAD + text);
  return file;
}

const messages = (section: Parameters<typeof opcuaServerProblems>[0]) =>
  opcuaServerProblems(section).map((p) => `${p.path}: ${p.message}`);

describe('opcuaServer config', () => {
  it('is off without the section, and secure by default with it: loopback, 4841, SignAndEncrypt, no anonymous', () => {
    const paths = { baseDir: '/etc/plantwatch', dataDir: '/var/lib/plantwatch' };
    expect(resolveOpcuaServer(undefined, paths).enabled).toBe(false);
    expect(resolveOpcuaServer({ users: [{ username: 'scada', password: 'x' }] }, paths)).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 4841,
      securityModes: ['SignAndEncrypt'],
      securityPolicies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'],
      users: [{ username: 'scada', password: 'x' }],
      allowAnonymous: false,
      trustUnknownClients: false,
      pkiDir: '/var/lib/plantwatch/pki/opcua-server',
      intervalMs: 1000,
    });
    expect(resolveOpcuaServer({ enabled: false, pkiDir: 'pki', interval: '250ms' }, paths)).toMatchObject({
      enabled: false,
      pkiDir: '/etc/plantwatch/pki',
      intervalMs: 250,
    });
  });

  it('refuses a server nobody can log in to, and one beyond loopback without logins or with None', () => {
    expect(messages({})).toEqual([
      'opcuaServer/users: nobody could log in to the OPC-UA server: list logins in opcuaServer.users ' +
        '(username, password: ${ENV_VAR}), or set opcuaServer.allowAnonymous: true (loopback only)',
    ]);
    expect(messages({ allowAnonymous: true, securityModes: ['None'] })).toEqual([]);
    expect(messages({ enabled: false, host: '0.0.0.0' })).toEqual([]);
    expect(
      messages({ host: '0.0.0.0', allowAnonymous: true, securityModes: ['None', 'SignAndEncrypt'] }),
    ).toEqual([
      "opcuaServer/users: the OPC-UA server listens on 0.0.0.0, beyond this host, without logins: list the SCADA's " +
        "and PLCs' logins in opcuaServer.users (username, password: ${ENV_VAR}), or set host: 127.0.0.1",
      'opcuaServer/securityModes: securityMode None on 0.0.0.0 sends logins and values unprotected over the ' +
        'plant network: remove None (clients connect with SignAndEncrypt), or set host: 127.0.0.1',
    ]);
    expect(messages({ host: '10.1.2.3', users: [{ username: 'scada', password: 'pw' }] })).toEqual([]);
  });

  it('wants one of password and passwordHash per login, unique names, a usable hash and a sane interval', () => {
    expect(
      messages({
        allowAnonymous: true,
        interval: '10ms',
        users: [
          { username: 'scada' },
          { username: 'scada', password: 'a', passwordHash: 'sha256:' + '0'.repeat(64) },
          { username: 'plc', passwordHash: 'md5:abc' },
        ],
      }),
    ).toEqual([
      'opcuaServer/interval: must be at least 100ms (got 10ms): the health is not recomputed faster',
      "opcuaServer/users/0/password: give 'scada' either password (e.g. ${OPCUA_PASSWORD}) or passwordHash, not neither",
      "opcuaServer/users/1/username: duplicate username 'scada'",
      "opcuaServer/users/1/password: give 'scada' either password (e.g. ${OPCUA_PASSWORD}) or passwordHash, not both",
      expect.stringMatching(/^opcuaServer\/users\/2\/passwordHash: must be 'sha256:<64 hex digits>'/),
    ]);
  });

  it('is read from the edge config file, its problems named with file and line, its passwords outside the hash', () => {
    process.env.PW_TEST_OPCUA_PASSWORD = 'scada-secret-4711';
    const good = loadEdgeConfig(
      configFile(
        'opcuaServer:\n  host: 0.0.0.0\n  port: 4850\n  users:\n    - username: scada\n      password: ${PW_TEST_OPCUA_PASSWORD}\n',
      ),
    );
    expect(good.opcuaServer).toMatchObject({
      enabled: true,
      host: '0.0.0.0',
      port: 4850,
      users: [{ username: 'scada', password: 'scada-secret-4711' }],
    });
    process.env.PW_TEST_OPCUA_PASSWORD = 'another-secret';
    const sameButPassword = loadEdgeConfig(
      configFile(
        'opcuaServer:\n  host: 0.0.0.0\n  port: 4850\n  users:\n    - username: scada\n      password: ${PW_TEST_OPCUA_PASSWORD}\n',
      ),
    );
    expect(sameButPassword.configHash).toBe(good.configHash);

    const exposed = configFile('opcuaServer:\n  host: 0.0.0.0\n  securityModes: [None]\n');
    expect(() => loadEdgeConfig(exposed)).toThrow(
      `${exposed}:7: opcuaServer/users: the OPC-UA server listens on 0.0.0.0`,
    );
    const badMode = configFile('opcuaServer:\n  allowAnonymous: true\n  securityModes: [Plain]\n');
    expect(() => loadEdgeConfig(badMode)).toThrow(`${badMode}:8: opcuaServer/securityModes/0`);
  });
});

describe('the opcuaServer sample', () => {
  it('loads as it stands in an edge config', () => {
    process.env.PLANTWATCH_OPCUA_SCADA_PASSWORD = 'sample-scada-password';
    const fragment = readFileSync(
      join(packageRoot(), 'edge', 'sinks', 'opcua-server', 'sample.yaml'),
      'utf8',
    );
    expect(loadEdgeConfig(configFile(fragment)).opcuaServer).toMatchObject({
      enabled: true,
      host: '127.0.0.1',
      port: 4841,
      securityModes: ['SignAndEncrypt'],
      users: [{ username: 'scada', password: 'sample-scada-password' }],
      allowAnonymous: false,
      trustUnknownClients: false,
      intervalMs: 1000,
    });
  });
});
