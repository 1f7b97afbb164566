import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import { BINARY_WAVEFORM_CONTENT_TYPE, encodeBinaryWaveform } from '../shared/waveform-binary.js';
import { startMosquitto, stopChildren } from './helpers/processes.js';
import {
  capturingLogger,
  freePort,
  removeTempDirs,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

let cloud: RunningCloud;
let agent: EdgeAgent;
let brokerUrl: string;
const log = capturingLogger();

// The plant's own broker (mosquitto speaks MQTT 5, so a publisher can also say the content type).
beforeAll(async () => {
  const port = await freePort();
  await startMosquitto(tempDir(), port);
  brokerUrl = `mqtt://127.0.0.1:${port}`;
  cloud = await startTestCloud();
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  agent = await startEdgeAgent(
    testEdgeConfig({ cloud: { url: cloud.url, token }, mqtt: { url: brokerUrl } }),
    log.logger,
  );
});
afterAll(async () => {
  await agent.stop();
  await cloud.stop();
  await stopChildren();
  removeTempDirs();
});

// 1× at 25 Hz and a 3 kHz resonance: a spectrum with something in it.
const SAMPLES = Array.from(
  { length: 8192 },
  (_, i) =>
    0.8 * Math.sin((2 * Math.PI * 25 * i) / 25_600) + 0.2 * Math.sin((2 * Math.PI * 3000 * i) / 25_600),
);
const WAVEFORM = { sampleRateHz: 25_600, unit: 'g' as const, rpm: 1500, samples: SAMPLES };

describe('binary waveforms over MQTT', () => {
  it('are analysed like the same waveform in JSON, as float32 and as int16, identified by their magic bytes (a content type is optional)', async () => {
    const v3 = await mqtt.connectAsync(brokerUrl);
    const v5 = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5 });
    await v3.publishAsync('plantwatch/json-pump/de/waveform', JSON.stringify(WAVEFORM), { qos: 1 });
    await v3.publishAsync('plantwatch/f32-pump/de/waveform', encodeBinaryWaveform(WAVEFORM), { qos: 1 });
    await v5.publishAsync('plantwatch/i16-pump/de/waveform', encodeBinaryWaveform(WAVEFORM, 'int16'), {
      qos: 1,
      properties: { contentType: BINARY_WAVEFORM_CONTENT_TYPE },
    });
    await waitFor(() => agent.status().counters.waveforms === 3, 'three analysed waveforms');
    await v3.endAsync();
    await v5.endAsync();
    const byAsset = new Map(agent.status().latestFeatures.map((f) => [f.assetId, f]));
    const json = byAsset.get('json-pump')!;
    expect(json.velocityRmsMmS).toBeGreaterThan(1);
    for (const asset of ['f32-pump', 'i16-pump']) {
      const binary = byAsset.get(asset)!;
      expect(binary.rpm).toBe(1500);
      expect(binary.velocityRmsMmS / json.velocityRmsMmS).toBeCloseTo(1, 3);
      expect(binary.order1xMmS! / json.order1xMmS!).toBeCloseTo(1, 3);
      expect(binary.kurtosis).toBeCloseTo(json.kurtosis, 2);
    }
    expect(agent.status().counters.rejected).toBe(0);
  });

  it('refuses a bad header, a short body and a non-finite sample with the reason, counted, and keeps running', async () => {
    const good = encodeBinaryWaveform(WAVEFORM);
    const truncated = good.subarray(0, good.length - 6);
    const badVersion = Buffer.from(good);
    badVersion.writeUInt8(7, 4);
    const nan = Buffer.from(good);
    nan.writeFloatLE(Number.NaN, 48 + 4 * 100);
    const v5 = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5 });
    const before = agent.status().counters;
    for (const payload of [truncated, badVersion, nan])
      await v5.publishAsync('plantwatch/bad-pump/de/waveform', payload, { qos: 1 });
    await v5.publishAsync('plantwatch/bad-pump/de/waveform', good, { qos: 1 });
    await waitFor(() => agent.status().counters.waveforms === before.waveforms + 1, 'the good waveform');
    await v5.endAsync();
    expect(agent.status().counters.rejected - before.rejected).toBe(3);
    const details = log
      .lines()
      .filter((l) => String(l.msg).startsWith('rejected measurement on plantwatch/bad-pump'))
      .map((l) => `${l.reason}: ${l.detail}`);
    expect(details).toEqual([
      'invalid_payload: binary waveform: 32810 bytes, but a header announcing 8192 float32 samples needs exactly 32816',
      'invalid_payload: binary waveform: version (byte 4) is 7; this agent reads version 1',
      'invalid_payload: binary waveform: sample 100 (byte 448) is NaN; every sample must be a finite number',
    ]);
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toContain(
      'plantwatch_edge_rejected_messages_total{source="mqtt",reason="invalid_payload"} 3',
    );
  });
});
