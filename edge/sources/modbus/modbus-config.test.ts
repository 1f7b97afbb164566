import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../config.js';
import { packageRoot } from '../../../shared/paths.js';
import { FileError } from '../../../shared/yaml-file.js';
import { removeTempDirs, tempDir } from '../../../test/helpers/stack.js';

afterAll(removeTempDirs);

const HEAD =
  'gatewayId: gw-1\nsite: s1\ncloud:\n  url: http://127.0.0.1:8080\n  token: pwgw_0123456789abcdef\n';

function configFile(yaml: string): string {
  const file = join(tempDir(), 'edge.yaml');
  writeFileSync(file, HEAD + yaml);
  return file;
}

/** The problems a config is refused with, as `line: field: message`. */
function problems(yaml: string): string[] {
  try {
    loadEdgeConfig(configFile(yaml));
  } catch (error) {
    if (error instanceof FileError) return error.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
    throw error;
  }
  return [];
}

const device = (registers: string, extra = '') =>
  `modbus:\n  - id: drive-7\n    host: 127.0.0.1\n${extra}    registers:\n${registers}`;

describe('modbus config', () => {
  it('applies defaults: port 502, unit 1, 1 s poll and timeout, 100 registers a read, gaps of 8, big word order', () => {
    const config = loadEdgeConfig(
      configFile(
        device('      - { assetId: pump-1, channel: motor_current, table: holding, address: 40 }\n'),
      ),
    );
    expect(config.modbus).toEqual([
      {
        id: 'drive-7',
        host: '127.0.0.1',
        port: 502,
        unitId: 1,
        pollIntervalMs: 1000,
        timeoutMs: 1000,
        maxRegistersPerRequest: 100,
        maxBitsPerRequest: 2000,
        maxGap: 8,
        reconnect: { initialMs: 250, maxMs: 10_000 },
        registers: [
          {
            assetId: 'pump-1',
            channel: 'motor_current',
            table: 'holding',
            address: 40,
            type: 'uint16',
            wordOrder: 'big',
            scale: 1,
            offset: 0,
            unit: '1',
          },
        ],
      },
    ]);
    expect(loadEdgeConfig(configFile('')).modbus).toEqual([]);
  });

  it('reads every option', () => {
    const config = loadEdgeConfig(
      configFile(
        device(
          '      - { assetId: pump-1, channel: temp, table: input, address: 3, type: float32, wordOrder: little, scale: 0.5, offset: -2, unit: degC }\n' +
            '      - { assetId: pump-1, channel: running, table: coil, address: 0 }\n',
          '    port: 1502\n    unitId: 7\n    pollInterval: 250ms\n    timeout: 500ms\n    maxRegistersPerRequest: 125\n    maxBitsPerRequest: 64\n    maxGap: 0\n    reconnectMaxDelay: 2s\n',
        ),
      ),
    );
    expect(config.modbus[0]).toMatchObject({
      port: 1502,
      unitId: 7,
      pollIntervalMs: 250,
      timeoutMs: 500,
      maxRegistersPerRequest: 125,
      maxBitsPerRequest: 64,
      maxGap: 0,
      reconnect: { maxMs: 2000 },
      registers: [
        { type: 'float32', wordOrder: 'little', scale: 0.5, offset: -2, unit: 'degC' },
        { table: 'coil', type: 'boolean' },
      ],
    });
  });

  it('names the field and line of each mistake', () => {
    const found = problems(
      device(
        [
          '      - { assetId: pump-1, channel: a, table: holding, address: 70000 }',
          '      - { assetId: pump-1, channel: b, table: holding, address: 65535, type: float32 }',
          '      - { assetId: pump-1, channel: c, table: coil, address: 1, type: int16 }',
          '      - { assetId: pump-1, channel: d, table: input, address: 1, type: boolean }',
          '      - { assetId: pump-1, channel: a, table: input, address: 2 }',
          '      - { assetId: pump-1, channel: e, table: holding, address: -1 }',
          '      - { assetId: pump-1, channel: f, table: holding, address: 1, wordOrder: little }',
          '',
        ].join('\n'),
      ),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^10: modbus\/0\/registers\/0\/address: must lie within 0-65535 \(got 70000\)/),
        '11: modbus/0/registers/1/address: a float32 takes 2 registers from its address, so the address must lie within 0-65534 (got 65535)',
        '12: modbus/0/registers/2/type: a coil holds one bit: its type must be boolean (got int16)',
        expect.stringMatching(/^13: modbus\/0\/registers\/3\/type: an input register holds 16 bits/),
        '14: modbus/0/registers/4/channel: asset pump-1 channel a is already fed by modbus/0/registers/0',
        expect.stringMatching(/^15: modbus\/0\/registers\/5\/address: must lie within 0-65535 \(got -1\)/),
        '16: modbus/0/registers/6/wordOrder: a uint16 is one register: wordOrder applies to int32, uint32 and float32 only',
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it('names what the schema refuses: an unknown table, a port of 0, a device without registers', () => {
    expect(
      problems(
        device('      - { assetId: pump-1, channel: g, table: registers, address: 1 }\n') +
          '  - id: drive-2\n    host: 127.0.0.1\n    port: 0\n    registers: []\n',
      ),
    ).toEqual(
      expect.arrayContaining([
        '10: modbus/0/registers/0/table: must be one of "holding", "input", "coil", "discrete"',
        '13: modbus/1/port: must be >= 1',
        '14: modbus/1/registers: must NOT have fewer than 1 items',
      ]),
    );
  });

  it('refuses a timeout below 50ms and a poll interval below 100ms, naming the field and line', () => {
    const register = '      - { assetId: pump-1, channel: a, table: holding, address: 0 }\n';
    const found = problems(
      device(register, '    timeout: 0ms\n    pollInterval: 0s\n') +
        `  - id: drive-8\n    host: 127.0.0.1\n    timeout: 49ms\n    pollInterval: 0.09s\n    registers:\n${register.replace('channel: a', 'channel: b')}`,
    );
    expect(found).toEqual([
      '9: modbus/0/timeout: 0ms is below the minimum of 50ms: a timeout of 0 waits forever for a silent device, and a shorter one fails healthy answers; write e.g. 500ms (the default is 1s)',
      '10: modbus/0/pollInterval: 0s is below the minimum of 100ms: a shorter interval floods the device with requests without fresher values; write e.g. 1s (the default)',
      '15: modbus/1/timeout: 49ms is below the minimum of 50ms: a timeout of 0 waits forever for a silent device, and a shorter one fails healthy answers; write e.g. 500ms (the default is 1s)',
      '16: modbus/1/pollInterval: 0.09s is below the minimum of 100ms: a shorter interval floods the device with requests without fresher values; write e.g. 1s (the default)',
    ]);
    // The floors themselves are accepted.
    expect(problems(device(register, '    timeout: 50ms\n    pollInterval: 100ms\n'))).toEqual([]);
  });

  it('refuses a reconnect delay below the first retry’s 250ms, which would retry a dead device in a loop', () => {
    const register = '      - { assetId: pump-1, channel: a, table: holding, address: 0 }\n';
    expect(problems(device(register, '    reconnectMaxDelay: 0s\n'))).toEqual([
      "9: modbus/0/reconnectMaxDelay: 0s is below the first retry's 250ms: a dead device would be retried in a tight loop; write e.g. 10s (the default)",
    ]);
    expect(problems(device(register, '    reconnectMaxDelay: 250ms\n'))).toEqual([]);
  });

  it('bounds maxBitsPerRequest to 1-2000 (the spec allows 2000 bits a read)', () => {
    const register = '      - { assetId: pump-1, channel: a, table: coil, address: 0 }\n';
    expect(problems(device(register, '    maxBitsPerRequest: 0\n'))).toEqual([
      '9: modbus/0/maxBitsPerRequest: must be >= 1',
    ]);
    expect(problems(device(register, '    maxBitsPerRequest: 2001\n'))).toEqual([
      '9: modbus/0/maxBitsPerRequest: must be <= 2000',
    ]);
  });

  it('refuses a device id another source uses, a channel an OPC-UA node feeds, and reads too short for a 32-bit value', () => {
    const opcua =
      'opcua:\n  - id: cnc-1\n    url: opc.tcp://127.0.0.1:4840\n    nodes:\n      - { nodeId: ns=1;s=T, assetId: pump-1, channel: temp }\n';
    const found = problems(
      opcua +
        'modbus:\n  - id: cnc-1\n    host: 127.0.0.1\n    maxRegistersPerRequest: 1\n    registers:\n' +
        '      - { assetId: pump-1, channel: temp, table: holding, address: 0, type: float32 }\n' +
        '  - id: mqtt\n    host: 127.0.0.1\n    registers:\n      - { assetId: pump-1, channel: x, table: holding, address: 0 }\n',
    );
    expect(found).toEqual(
      expect.arrayContaining([
        "12: modbus/0/id: source id 'cnc-1' is already used",
        '14: modbus/0/maxRegistersPerRequest: a 32-bit value takes 2 registers, so one read must be allowed at least 2 (got 1)',
        '16: modbus/0/registers/0/channel: asset pump-1 channel temp is already fed by opcua/0/nodes/0',
        "17: modbus/1/id: source id 'mqtt' is already used",
      ]),
    );
  });

  it('lets two mappings share registers (a float32 and its high word)', () => {
    expect(
      problems(
        device(
          '      - { assetId: pump-1, channel: t, table: holding, address: 2, type: float32 }\n' +
            '      - { assetId: pump-1, channel: t_high, table: holding, address: 2, type: int16 }\n',
        ),
      ),
    ).toEqual([]);
  });

  it('loads the documented fragment (sample.yaml)', () => {
    const sample = readFileSync(join(packageRoot(), 'edge', 'sources', 'modbus', 'sample.yaml'), 'utf8');
    const [drive] = loadEdgeConfig(configFile(sample)).modbus;
    expect(drive).toMatchObject({ id: 'pump-1-drive', port: 1502, timeoutMs: 500 });
    expect(drive?.registers.map((r) => `${r.table} ${r.address} ${r.type}`)).toEqual([
      'holding 0 int16',
      'holding 1 uint16',
      'holding 2 float32',
      'holding 4 uint32',
      'input 0 uint16',
      'coil 0 boolean',
      'discrete 0 boolean',
    ]);
  });
});
