import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from './config.js';
import { defaultRulesDir, packageRoot } from '../shared/paths.js';
import { removeTempDirs, tempDir } from '../test/helpers/stack.js';

afterAll(removeTempDirs);

function configFile(text: string): string {
  const file = join(tempDir(), 'edge.yaml');
  writeFileSync(file, text);
  return file;
}

describe('edge config', () => {
  it('applies defaults, resolves paths beside the file, and substitutes environment variables', () => {
    process.env.PW_TEST_TOKEN = 'pwgw_from-the-environment-123';
    const file = configFile(
      'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://127.0.0.1:8080\n  token: ${PW_TEST_TOKEN}\n',
    );
    const config = loadEdgeConfig(file);
    expect(config.cloud.token).toBe('pwgw_from-the-environment-123');
    expect(config.dataDir).toBe(join(file, '..', '.plantwatch/edge'));
    expect(config.rulesDir).toBe(defaultRulesDir());
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(config.mqtt).toEqual({
      embedded: { host: '127.0.0.1', port: 1883, users: [], anonymous: true, maxPacketBytes: 1024 * 1024 },
      topicPrefix: 'plantwatch',
      alerts: true,
    });
    expect(config.cloud).toMatchObject({
      retryInitialMs: 500,
      retryMaxMs: 60_000,
      batchMaxEvents: 500,
      maxAttempts: 5,
    });
    expect(config.outbox).toEqual({ maxBytes: 1024 * 1024 * 1024 });
  });

  it('loads the documented sample config', () => {
    process.env.PLANTWATCH_GATEWAY_TOKEN = 'pwgw_sample-config-token-0123';
    const config = loadEdgeConfig(join(packageRoot(), 'edge', 'sample-config.yaml'));
    expect(config).toMatchObject({ gatewayId: 'gw-plant7-01', site: 'plant-7', http: { port: 8081 } });
    expect(config.tickets.updateIntervalMs).toBe(60_000);
  });

  it('reads the timestamp window of the input, with defaults, and names a bad date', () => {
    const head = 'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n';
    expect(loadEdgeConfig(configFile(head)).input).toEqual({
      maxFutureSkewMs: 86_400_000,
      earliestMs: Date.UTC(2000, 0, 1),
    });
    expect(
      loadEdgeConfig(configFile(`${head}input:\n  maxFutureSkew: 5m\n  earliest: 2020-06-01\n`)).input,
    ).toEqual({ maxFutureSkewMs: 300_000, earliestMs: Date.UTC(2020, 5, 1) });
    const bad = configFile(`${head}input:\n  maxFutureSkew: soon\n  earliest: 2020-13-45\n`);
    expect(() => loadEdgeConfig(bad)).toThrow(
      `${bad}:7: input/maxFutureSkew: must be a duration like 30s, 5m, 2h, 7d (got "soon")`,
    );
    const badDate = configFile(`${head}input:\n  earliest: 2020-13-45\n`);
    expect(() => loadEdgeConfig(badDate)).toThrow(
      `${badDate}:7: input/earliest: '2020-13-45' is not a calendar date; write it like 2000-01-01`,
    );
    const notADate = configFile(`${head}input:\n  earliest: yesterday\n`);
    expect(() => loadEdgeConfig(notADate)).toThrow(/:7: input\/earliest: must be a date like 2000-01-01/);
  });

  it('reads mqtts:// TLS settings beside the config file, and names what is missing', () => {
    const head = 'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n';
    const file = configFile(
      `${head}mqtt:\n  url: mqtts://broker.plant7.local:8883\n  tls:\n    caFile: pki/ca.pem\n    certFile: /etc/pw/gw.pem\n    keyFile: pki/gw.key\n    servername: broker.plant7.local\n`,
    );
    expect(loadEdgeConfig(file).mqtt.tls).toEqual({
      caFile: join(file, '..', 'pki/ca.pem'),
      certFile: '/etc/pw/gw.pem',
      keyFile: join(file, '..', 'pki/gw.key'),
      servername: 'broker.plant7.local',
      rejectUnauthorized: true,
    });
    const halfPair = configFile(
      `${head}mqtt:\n  url: mqtts://broker:8883\n  tls:\n    certFile: gw.pem\n    rejectUnauthorized: false\n`,
    );
    expect(() => loadEdgeConfig(halfPair)).toThrow(
      'mqtt/tls/keyFile: a client certificate needs both certFile and keyFile',
    );
    const plain = configFile(`${head}mqtt:\n  url: mqtt://broker:1883\n  tls:\n    caFile: ca.pem\n`);
    expect(() => loadEdgeConfig(plain)).toThrow(
      `${plain}:9: mqtt/tls: TLS settings need an mqtts:// or wss:// url (got 'mqtt://broker:1883')`,
    );
  });

  it("reads the embedded broker's logins from the environment, TLS listener and packet limit; names what is wrong", () => {
    const head = 'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n';
    process.env.PW_TEST_PUMP_PASSWORD = 'pump-secret-from-env';
    const file = configFile(
      `${head}mqtt:\n  embedded:\n    host: 0.0.0.0\n    maxPacketBytes: 262144\n    users:\n` +
        '      - username: pump-1\n        password: ${PW_TEST_PUMP_PASSWORD}\n        assets: [pump-1]\n' +
        `      - { username: line-3, passwordHash: 'sha256:${'ab'.repeat(32)}', assets: ['*'] }\n` +
        '    tls: { port: 8883, certFile: pki/broker.pem, keyFile: pki/broker.key, caFile: pki/ca.pem }\n',
    );
    const embedded = loadEdgeConfig(file).mqtt.embedded;
    expect(embedded).toMatchObject({
      host: '0.0.0.0',
      port: 1883,
      anonymous: false,
      maxPacketBytes: 262_144,
      users: [
        { username: 'pump-1', password: 'pump-secret-from-env', assets: ['pump-1'] },
        { username: 'line-3', assets: ['*'] },
      ],
      tls: {
        host: '0.0.0.0',
        port: 8883,
        certFile: join(file, '..', 'pki/broker.pem'),
        caFile: join(file, '..', 'pki/ca.pem'),
      },
    });
    // Defaults for a first run: loopback, anonymous, 1 MiB.
    expect(loadEdgeConfig(configFile(head)).mqtt.embedded).toMatchObject({
      host: '127.0.0.1',
      anonymous: true,
      maxPacketBytes: 1024 * 1024,
      users: [],
    });

    const open = configFile(`${head}mqtt:\n  embedded: { host: 0.0.0.0 }\n`);
    expect(() => loadEdgeConfig(open)).toThrow(
      `${open}:7: mqtt/embedded/users: the embedded broker listens on 0.0.0.0, beyond this host, without logins`,
    );
    const openOnPurpose = configFile(`${head}mqtt:\n  embedded: { host: 0.0.0.0, anonymous: true }\n`);
    expect(loadEdgeConfig(openOnPurpose).mqtt.embedded.anonymous).toBe(true);
    const tlsOpen = configFile(
      `${head}mqtt:\n  embedded:\n    tls: { host: 10.0.0.5, certFile: b.pem, keyFile: b.key }\n`,
    );
    expect(() => loadEdgeConfig(tlsOpen)).toThrow(
      'mqtt/embedded/users: the embedded broker listens on 10.0.0.5',
    );
    const bad = configFile(
      `${head}mqtt:\n  embedded:\n    users:\n      - { username: a, assets: [pump-1] }\n` +
        "      - { username: b, passwordHash: 'md5:abc', assets: [pump-2] }\n" +
        '      - { username: b, password: x, assets: [pump-3] }\n',
    );
    expect(() => loadEdgeConfig(bad)).toThrow(
      `${bad}:9: mqtt/embedded/users/0/password: give 'a' either password (e.g. \${MQTT_PASSWORD}) or passwordHash, not neither`,
    );
    expect(() => loadEdgeConfig(bad)).toThrow(
      `${bad}:10: mqtt/embedded/users/1/passwordHash: must be 'sha256:<64 hex digits>' or 'scrypt:<salt hex>:<key hex>'`,
    );
    expect(() => loadEdgeConfig(bad)).toThrow(`mqtt/embedded/users/2/username: duplicate username 'b'`);
    const small = configFile(`${head}mqtt:\n  embedded: { maxPacketBytes: 10 }\n`);
    expect(() => loadEdgeConfig(small)).toThrow(`${small}:7: mqtt/embedded/maxPacketBytes: must be >= 1024`);
    const shortToken = configFile(`${head}http: { token: short }\n`);
    expect(() => loadEdgeConfig(shortToken)).toThrow(
      `${shortToken}:6: http/token: must NOT have fewer than 16 characters`,
    );
  });

  it('names a missing environment variable', () => {
    const file = configFile(
      'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: ${PW_TEST_UNSET_VARIABLE}\n',
    );
    expect(() => loadEdgeConfig(file)).toThrow(
      `${file}:1: environment variable PW_TEST_UNSET_VARIABLE is not set`,
    );
  });

  it('names unknown fields and bad durations with their line', () => {
    const file = configFile(
      'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n  retryMax: soon\nmqtt:\n  brokr: x\n',
    );
    expect(() => loadEdgeConfig(file)).toThrow(
      `${file}:6: cloud/retryMax: must be a duration like 30s, 5m, 2h, 7d (got "soon")`,
    );
    expect(() => loadEdgeConfig(file)).toThrow(`${file}:8: mqtt: unknown field 'brokr'`);
  });

  it('reads cloud.maxAttempts, and names a bad one with its line', () => {
    const base = 'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n';
    expect(loadEdgeConfig(configFile(`${base}  maxAttempts: 2\n`)).cloud.maxAttempts).toBe(2);
    const file = configFile(`${base}  maxAttempts: 0\n`);
    expect(() => loadEdgeConfig(file)).toThrow(`${file}:6: cloud/maxAttempts: must be >= 1`);
  });

  it('reads assets, SLAs and rule defaults, and names a bad asset by its line', () => {
    const head = 'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n';
    const config = loadEdgeConfig(
      configFile(
        `${head}tickets:\n  sla:\n    high: 12h\nrules:\n  staleAfter: 30s\nassets:\n  - id: pump-1\n    bearing: skf-6205\n    rpm: 1780\n    machineClass: group1-rigid\n`,
      ),
    );
    expect(config.assets).toEqual([
      { id: 'pump-1', bearing: 'skf-6205', rpm: 1780, machineClass: 'group1-rigid' },
    ]);
    expect(config.tickets.slaMs).toMatchObject({ high: 12 * 3_600_000, critical: 8 * 3_600_000 });
    expect(config.rules).toEqual({ staleAfterMs: 30_000, baselineLearnMs: 3_600_000 });
    expect(config.configHash).toMatch(/^[0-9a-f]{16}$/);

    const bad = configFile(
      `${head}assets:\n  - id: pump-1\n    bearing: skf-9999\n  - id: pump-1\n    machineClass: group3\n`,
    );
    expect(() => loadEdgeConfig(bad)).toThrow(/edge\.yaml:10: assets\/1\/machineClass: must be one of/);
    const unknownBearing = configFile(
      `${head}assets:\n  - id: pump-1\n    bearing: skf-9999\n  - id: pump-1\n`,
    );
    expect(() => loadEdgeConfig(unknownBearing)).toThrow(
      /edge\.yaml:8: assets\/0\/bearing: unknown bearing 'skf-9999'; the catalog has skf-6205/,
    );
    expect(() => loadEdgeConfig(unknownBearing)).toThrow(
      /edge\.yaml:9: assets\/1\/id: duplicate asset id 'pump-1'/,
    );

    const variableSpeed = configFile(
      `${head}assets:\n  - id: fan-1\n    rpmRange: { min: 600, max: 1500 }\n`,
    );
    expect(loadEdgeConfig(variableSpeed).assets).toEqual([
      { id: 'fan-1', rpmRange: { min: 600, max: 1500 } },
    ]);
    const backwards = configFile(
      `${head}assets:\n  - id: fan-1\n    rpm: 1600\n    rpmRange: { min: 1500, max: 600 }\n`,
    );
    expect(() => loadEdgeConfig(backwards)).toThrow(
      /assets\/0\/rpmRange: min 1500 is above max 600: give the lower speed as min/,
    );
    expect(() => loadEdgeConfig(backwards)).toThrow(
      /assets\/0\/rpm: nominal 1600 rpm lies outside rpmRange 1500-600/,
    );
  });

  it('keeps secrets out of the config hash', () => {
    const a = loadEdgeConfig(
      configFile('gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n'),
    );
    const b = loadEdgeConfig(
      configFile('gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_fedcba9876543210\n'),
    );
    expect(a.configHash).toBe(b.configHash);
    const withSecrets = (password: string, token: string) =>
      loadEdgeConfig(
        configFile(
          'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n' +
            `http: { token: ${token} }\n` +
            `mqtt:\n  embedded:\n    users: [{ username: p, password: ${password}, assets: [p1] }]\n`,
        ),
      ).configHash;
    expect(withSecrets('first-password', 'status-token-0123456789')).toBe(
      withSecrets('other-password', 'status-token-9876543210'),
    );
  });

  it('says when the file cannot be read', () => {
    expect(() => loadEdgeConfig('/nonexistent/edge.yaml')).toThrow(/\/nonexistent\/edge.yaml:0: cannot read/);
  });
});
