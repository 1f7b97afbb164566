import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../config.js';
import { packageRoot } from '../../../shared/paths.js';
import { removeTempDirs, tempDir } from '../../../test/helpers/stack.js';

afterEach(() => removeTempDirs());

function configFile(sparkplug: string[], gatewayId = 'gw-1'): string {
  const file = join(tempDir(), 'edge.yaml');
  writeFileSync(
    file,
    [
      `gatewayId: ${gatewayId}`,
      'site: plant-1',
      'cloud: { url: "http://127.0.0.1:1", token: "0123456789abcdef" }',
      'sparkplug:',
      ...sparkplug,
    ].join('\n'),
  );
  return file;
}

describe('the sparkplug section of the edge config', () => {
  it('applies defaults: the agent’s broker, 5s rebirth interval, group plantwatch, the gatewayId as edge node', () => {
    const config = loadEdgeConfig(
      configFile([
        '  consume:',
        '    groups: [plant1]',
        "    map: [{ edgeNode: line1, device: press3, metric: 'Bearing/Temperature', assetId: press-3, channel: bearing_temperature }]",
        '  publish: {}',
      ]),
    );
    expect(config.sparkplug).toEqual({
      consume: {
        groups: ['plant1'],
        map: [
          {
            edgeNode: 'line1',
            device: 'press3',
            metric: 'Bearing/Temperature',
            assetId: 'press-3',
            channel: 'bearing_temperature',
          },
        ],
        rebirthIntervalMs: 5000,
      },
      publish: { group: 'plantwatch', edgeNode: 'gw-1', intervalMs: 5000 },
    });
  });

  it('is absent by default', () => {
    const file = join(tempDir(), 'edge.yaml');
    writeFileSync(
      file,
      'gatewayId: gw-1\nsite: plant-1\ncloud: { url: "http://127.0.0.1:1", token: "0123456789abcdef" }\n',
    );
    expect(loadEdgeConfig(file).sparkplug).toEqual({});
  });

  it('names the line and field of a mapping to an unknown group, a metric or channel mapped twice, a busy interval', () => {
    const file = configFile([
      '  consume:',
      '    groups: [plant1]',
      '    map:',
      '      - { group: plant2, edgeNode: n, metric: a, assetId: a-1, channel: x }',
      '      - { edgeNode: n, metric: b, assetId: a-1, channel: x }',
      '      - { edgeNode: n, metric: b, assetId: a-1, channel: y }',
      '  publish: { interval: 10ms }',
    ]);
    expect(() => loadEdgeConfig(file)).toThrow(
      /edge.yaml:8: sparkplug\/consume\/map\/0\/group.*'plant2' is not in sparkplug.consume.groups/s,
    );
    expect(() => loadEdgeConfig(file)).toThrow(
      /sparkplug\/consume\/map\/1\/channel.*channel a-1\/x is fed by two metrics/s,
    );
    expect(() => loadEdgeConfig(file)).toThrow(
      /sparkplug\/consume\/map\/2\/metric.*metric 'b' of n is mapped twice/s,
    );
    expect(() => loadEdgeConfig(file)).toThrow(/sparkplug\/publish\/interval.*at least 100ms/s);
  });

  it('refuses a topic wildcard as an id', () => {
    expect(() => loadEdgeConfig(configFile(['  consume: { groups: ["plant/#"], map: [] }']))).toThrow(
      /sparkplug\/consume\/groups\/0/,
    );
  });

  it('takes a primaryHostId, and names the line and key of one that is empty or not one topic level', () => {
    const consume = (id: string) => [
      '  consume:',
      '    groups: [plant1]',
      '    map: []',
      `    primaryHostId: ${JSON.stringify(id)}`,
    ];
    expect(loadEdgeConfig(configFile(consume('scada-primary'))).sparkplug.consume?.primaryHostId).toBe(
      'scada-primary',
    );
    expect(() => loadEdgeConfig(configFile(consume('')))).toThrow(
      /edge.yaml:8: sparkplug\/consume\/primaryHostId: primaryHostId must not be empty/,
    );
    expect(() => loadEdgeConfig(configFile(consume('site/scada')))).toThrow(
      /edge.yaml:8: sparkplug\/consume\/primaryHostId: primaryHostId 'site\/scada' must not contain '\/': it is one MQTT topic level \(spBv1.0\/STATE\/<primaryHostId>\)/,
    );
    expect(() => loadEdgeConfig(configFile(consume('scada+#')))).toThrow(
      /primaryHostId 'scada\+#' must not contain '\+', '#'/,
    );
  });

  it('loads the two sample fragments together', () => {
    const lines = (path: string[]) =>
      readFileSync(join(packageRoot(), 'edge', ...path), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('  '));
    const config = loadEdgeConfig(
      configFile([
        ...lines(['sources', 'sparkplug', 'sample.yaml']),
        ...lines(['sinks', 'sparkplug-node', 'sample.yaml']),
      ]),
    );
    expect(config.sparkplug.consume?.map.map((m) => m.channel)).toEqual(['bearing_temperature', 'running']);
    expect(config.sparkplug.publish).toEqual({ group: 'plantwatch', edgeNode: 'gw-1', intervalMs: 5000 });
  });

  it('leaves a login in a broker URL out of the config hash', () => {
    const hash = (password: string) =>
      loadEdgeConfig(
        configFile([
          `  consume: { brokerUrl: "mqtt://plantwatch:${password}@127.0.0.1:1883", groups: [plant1], map: [] }`,
          `  publish: { brokerUrl: "mqtt://plantwatch:${password}@127.0.0.1:1883" }`,
        ]),
      ).configHash;
    expect(hash('first-secret')).toBe(hash('second-secret'));
  });
});
