import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../config.js';
import { keepAlivePeriodMs, type OpcuaNodeConfig } from './opcua-config.js';
import { describeOpcuaError } from './opcua-errors.js';
import { convertDataValue, qualityOf } from './opcua-values.js';
import { packageRoot } from '../../../shared/paths.js';
import { removeTempDirs, tempDir } from '../../../test/helpers/stack.js';

afterAll(removeTempDirs);

const HEAD = 'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://x\n  token: pwgw_0123456789abcdef\n';

function configFile(text: string): string {
  const file = join(tempDir(), 'edge.yaml');
  writeFileSync(file, text);
  return file;
}

describe('OPC-UA endpoint config', () => {
  it('applies defaults: no security, subscriptions, a 2 s reconnect cap, the PKI under the data dir', () => {
    const file = configFile(
      `${HEAD}opcua:\n  - id: cnc\n    url: opc.tcp://127.0.0.1:4840\n    nodes:\n` +
        `      - nodeId: ns=1;s=cnc-1.SpindleTemperature\n        assetId: cnc-1\n        channel: spindle_temperature\n        unit: degC\n` +
        `      - browsePath: /Objects/1:Machines/1:cnc-1/1:Vibration\n        assetId: cnc-1\n        channel: spindle-accel\n        waveform: { sampleRateHz: 12800, unit: g }\n        samplingInterval: 1s\n`,
    );
    const [endpoint] = loadEdgeConfig(file).opcua;
    expect(endpoint).toMatchObject({
      id: 'cnc',
      securityMode: 'None',
      securityPolicy: 'None',
      mode: 'subscribe',
      publishingIntervalMs: 500,
      silentAfterMs: 30_000,
      reconnect: { initialMs: 250, maxMs: 2000 },
      pkiDir: join(file, '..', '.plantwatch/edge/pki/opcua'),
    });
    expect(endpoint?.nodes).toEqual([
      expect.objectContaining({
        nodeId: 'ns=1;s=cnc-1.SpindleTemperature',
        unit: 'degC',
        samplingIntervalMs: 500,
      }),
      expect.objectContaining({
        unit: 'g',
        samplingIntervalMs: 1000,
        waveform: { sampleRateHz: 12800, unit: 'g' },
      }),
    ]);
  });

  it('loads the documented sample fragment', () => {
    const fragment = readFileSync(join(packageRoot(), 'edge', 'sources', 'opcua', 'sample.yaml'), 'utf8');
    const [endpoint] = loadEdgeConfig(configFile(`${HEAD}${fragment}`)).opcua;
    expect(endpoint).toMatchObject({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' });
    expect(endpoint?.nodes.map((n) => n.channel)).toEqual([
      'spindle_speed',
      'spindle_temperature',
      'coolant_flow',
      'motor_current',
      'spindle-accel',
    ]);
  });

  it('defaults the policy to Basic256Sha256 for secure modes and keeps the password out of the config hash', () => {
    const secure = (password: string) =>
      loadEdgeConfig(
        configFile(
          `${HEAD}opcua:\n  - id: cnc\n    url: opc.tcp://plc:4840\n    securityMode: SignAndEncrypt\n    username: operator\n    password: ${password}\n    silentAfter: 'off'\n    nodes:\n      - { nodeId: 'ns=1;i=5', assetId: a, channel: c }\n`,
        ),
      );
    const a = secure('first-secret');
    expect(a.opcua[0]).toMatchObject({
      securityPolicy: 'Basic256Sha256',
      user: { username: 'operator', password: 'first-secret' },
    });
    expect(a.opcua[0]?.silentAfterMs).toBeUndefined();
    expect(a.configHash).toBe(secure('second-secret').configHash);
  });

  it('names each endpoint mistake with its line and what to write instead', () => {
    const file = configFile(
      `${HEAD}opcua:\n` +
        `  - id: cnc\n` + // 7
        `    url: opc.tcp://plc:4840\n` +
        `    securityMode: None\n` +
        `    securityPolicy: Basic256Sha256\n` + // 10
        `    password: secret\n` + // 11
        `    nodes:\n` +
        `      - nodeId: not a node id\n` + // 13
        `        assetId: cnc-1\n` +
        `        channel: temp\n` +
        `      - nodeId: ns=1;i=7\n` +
        `        browsePath: /Objects/1:X\n` +
        `        assetId: cnc-1\n` +
        `        channel: temp\n` +
        `  - id: mqtt\n` + // 20
        `    url: opc.tcp://plc:4840\n` +
        `    nodes: [{ nodeId: 'ns=1;i=1', assetId: a, channel: b }]\n`,
    );
    const expectProblem = (text: string) => expect(() => loadEdgeConfig(file)).toThrow(text);
    expectProblem(
      `${file}:10: opcua/0/securityPolicy: securityMode None takes no policy (got Basic256Sha256)`,
    );
    expectProblem(`${file}:11: opcua/0/password: a password needs a username`);
    expectProblem(
      `${file}:13: opcua/0/nodes/0/nodeId: 'not a node id' is not a node id; write it like ns=1;s=`,
    );
    expectProblem(`${file}:16: opcua/0/nodes/1: give exactly one of nodeId and browsePath`);
    expectProblem(`opcua/0/nodes/1/channel: asset cnc-1 channel temp is already fed by opcua/0/nodes/0`);
    expectProblem(`${file}:20: opcua/1/id: source id 'mqtt' is already used`);

    const schemaError = configFile(
      `${HEAD}opcua:\n  - id: cnc\n    url: http://plc\n    securityMode: Encrypt\n    nodes: []\n`,
    );
    expect(() => loadEdgeConfig(schemaError)).toThrow(/:8: opcua\/0\/url: must be a URL like opc\.tcp/);
    expect(() => loadEdgeConfig(schemaError)).toThrow(/:9: opcua\/0\/securityMode: must be one of/);
  });

  it('reads a per-node maxSilence, shortens the keep-alive to a short staleAfter, and refuses one no keep-alive can meet', () => {
    const endpoint = (publishingInterval: string) =>
      `opcua:\n  - id: cnc\n    url: opc.tcp://plc:4840\n    publishingInterval: ${publishingInterval}\n    nodes:\n` +
      `      - { nodeId: 'ns=1;i=1', assetId: cnc-1, channel: counter, maxSilence: 10s }\n`;
    const ok = loadEdgeConfig(configFile(`${HEAD}rules: { staleAfter: 3s }\n${endpoint('100ms')}`));
    expect(ok.opcua[0]?.nodes[0]?.maxSilenceMs).toBe(10_000);
    expect(ok.opcua[0]?.keepAliveCount).toBe(10);
    // A config that loaded before held values still loads: the keep-alive comes every 2 intervals
    // (1 s), so a steady value is confirmed twice within the 3 s.
    const short = loadEdgeConfig(configFile(`${HEAD}rules: { staleAfter: 3s }\n${endpoint('500ms')}`));
    expect(short.opcua[0]?.keepAliveCount).toBe(2);
    expect(keepAlivePeriodMs(short.opcua[0]!) * 2).toBeLessThan(3000);
    const file = configFile(`${HEAD}rules: { staleAfter: 3s }\n${endpoint('2s')}`);
    expect(() => loadEdgeConfig(file)).toThrow(
      `${file}:10: opcua/0/publishingInterval: a steady value is confirmed at best once per publishing interval (2 s), so rules.staleAfter (3 s) must be longer than 4 s`,
    );
  });
});

const node = (overrides: Partial<OpcuaNodeConfig> = {}): OpcuaNodeConfig => ({
  nodeId: 'ns=1;s=cnc-1.SpindleTemperature',
  assetId: 'cnc-1',
  channel: 'spindle_temperature',
  unit: 'degC',
  samplingIntervalMs: 500,
  queueSize: 10,
  ...overrides,
});
const T = Date.UTC(2026, 10, 24, 6);

describe('OPC-UA values', () => {
  it('carries the status severity as quality', () => {
    expect(qualityOf(StatusCodes.Good)).toBe('good');
    expect(qualityOf(StatusCodes.UncertainLastUsableValue)).toBe('uncertain');
    expect(qualityOf(StatusCodes.BadSensorFailure)).toBe('bad');
    expect(qualityOf(StatusCodes.BadNoCommunication)).toBe('bad');
  });

  it('turns a scalar into a reading stamped with the source time, bad quality kept as bad', () => {
    const good = new DataValue({
      value: new Variant({ dataType: DataType.Double, value: 61.5 }),
      sourceTimestamp: new Date(T),
    });
    expect(convertDataValue(node(), good, T + 5000)).toEqual({
      kind: 'reading',
      reading: {
        ts: T,
        assetId: 'cnc-1',
        channel: 'spindle_temperature',
        value: 61.5,
        unit: 'degC',
        quality: 'good',
      },
    });
    const failed = new DataValue({
      value: new Variant({ dataType: DataType.Double, value: 61.5 }),
      statusCode: StatusCodes.BadSensorFailure,
    });
    expect(convertDataValue(node(), failed, T)).toMatchObject({
      kind: 'reading',
      reading: { ts: T, value: 61.5, quality: 'bad' },
    });
    const empty = new DataValue({ statusCode: StatusCodes.BadNoCommunication });
    const reading = convertDataValue(node(), empty, T);
    expect(reading).toMatchObject({ kind: 'reading', reading: { quality: 'bad' } });
    expect(reading.kind === 'reading' && Number.isNaN(reading.reading.value)).toBe(true);
    const int = new DataValue({ value: new Variant({ dataType: DataType.Int32, value: -4 }) });
    expect(convertDataValue(node(), int, T)).toMatchObject({ reading: { value: -4 } });
    const flag = new DataValue({ value: new Variant({ dataType: DataType.Boolean, value: true }) });
    expect(convertDataValue(node(), flag, T)).toMatchObject({ reading: { value: 1 } });
  });

  it('falls back from an implausible source timestamp to the server time, then to the arrival time, and says why', () => {
    const at = (sourceMs: number, serverMs?: number) =>
      new DataValue({
        value: new Variant({ dataType: DataType.Double, value: 61.5 }),
        sourceTimestamp: new Date(sourceMs),
        ...(serverMs === undefined ? {} : { serverTimestamp: new Date(serverMs) }),
      });
    // A PLC clock running in microseconds, read through a server with a good clock.
    expect(convertDataValue(node(), at(T * 1000, T - 20), T)).toMatchObject({
      reading: { ts: T - 20 },
      timestampProblem: expect.stringMatching(
        /^sourceTimestamp \d+ is in the year \d+, more than input.maxFutureSkew \(1d\) ahead of the gateway's clock: looks like microseconds since epoch/,
      ),
    });
    // A clock two days ahead, server and source alike: the arrival time.
    const twoDays = 2 * 86_400_000;
    expect(convertDataValue(node(), at(T + twoDays, T + twoDays), T)).toMatchObject({
      reading: { ts: T },
      timestampProblem: expect.stringContaining("check the sender's clock (NTP)"),
    });
    // The window is the config's: with input.maxFutureSkew 3d two days ahead is fine.
    const wide = { maxFutureSkewMs: 3 * 86_400_000, earliestMs: Date.UTC(2000, 0, 1) };
    expect(convertDataValue(node(), at(T + twoDays), T, wide)).not.toHaveProperty('timestampProblem');
    // A server without a clock (no timestamps at all) is not a problem: the arrival time, silently.
    const noClock = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 1 }) });
    expect(convertDataValue(node(), noClock, T)).toEqual({
      kind: 'reading',
      reading: expect.objectContaining({ ts: T }),
    });
  });

  it('turns a Float array into a waveform, and rejects what cannot be analysed with the reason', () => {
    const samples = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i / 5));
    const waveformNode = node({
      channel: 'spindle-accel',
      unit: 'g',
      waveform: { sampleRateHz: 12_800, unit: 'g' },
    });
    const array = (values: Float32Array, statusCode = StatusCodes.Good) =>
      new DataValue({
        value: new Variant({ dataType: DataType.Float, arrayType: VariantArrayType.Array, value: values }),
        statusCode,
        sourceTimestamp: new Date(T),
      });
    const converted = convertDataValue(waveformNode, array(samples), T);
    expect(converted).toMatchObject({
      kind: 'waveform',
      waveform: { ts: T, assetId: 'cnc-1', channel: 'spindle-accel', sampleRateHz: 12_800, unit: 'g' },
    });
    expect(converted.kind === 'waveform' && converted.waveform.samples.length).toBe(256);

    expect(convertDataValue(waveformNode, array(samples, StatusCodes.BadSensorFailure), T)).toMatchObject({
      kind: 'rejected',
      reason: 'bad_quality',
      detail: expect.stringContaining('BadSensorFailure'),
    });
    expect(convertDataValue(waveformNode, array(samples.slice(0, 10)), T)).toMatchObject({
      reason: 'too_short',
    });
    const withNaN = samples.slice();
    withNaN[17] = Number.NaN;
    expect(convertDataValue(waveformNode, array(withNaN), T)).toMatchObject({
      reason: 'not_finite',
      detail: 'waveform sample 17 is NaN',
    });
    expect(convertDataValue(node(), array(samples), T)).toMatchObject({
      reason: 'unexpected_array',
      detail: expect.stringContaining('map it with waveform'),
    });
    const text = new DataValue({ value: new Variant({ dataType: DataType.String, value: 'RUN' }) });
    expect(convertDataValue(node(), text, T)).toMatchObject({
      reason: 'unsupported_type',
      detail: expect.stringContaining('a String value cannot be a reading'),
    });
  });
});

describe('OPC-UA errors', () => {
  it('tells the operator how to trust a rejected server certificate', () => {
    const pkiDir = tempDir();
    const message = describeOpcuaError(
      new Error('server Certificate verification failed with err BadCertificateUntrusted (0x801a0000)'),
      { url: 'opc.tcp://plc:4840', pkiDir },
    );
    expect(message).toContain('the certificate of opc.tcp://plc:4840 is not trusted');
    expect(message).toContain(join(pkiDir, 'trusted', 'certs'));
    expect(describeOpcuaError(new Error('BadTooManySubscriptions (0x80770000)'), { url: 'u', pkiDir })).toBe(
      'u refuses subscriptions (BadTooManySubscriptions): set mode: poll for this endpoint to read its nodes every pollInterval instead',
    );
    expect(describeOpcuaError(new Error('BadUserAccessDenied (0x801f0000)'), { url: 'u', pkiDir })).toContain(
      'check username and password',
    );
  });
});
