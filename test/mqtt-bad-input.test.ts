import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import { capturingLogger, removeTempDirs, startTestCloud, testEdgeConfig, waitFor } from './helpers/stack.js';

let cloud: RunningCloud;
let agent: EdgeAgent;
let token: string;
const log = capturingLogger();

beforeAll(async () => {
  cloud = await startTestCloud();
  token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  agent = await startEdgeAgent(testEdgeConfig({ cloud: { url: cloud.url, token } }), log.logger);
});
afterAll(async () => {
  await agent.stop();
  await cloud.stop();
  removeTempDirs();
});

const samples = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i / 3) * 0.1);
const waveform = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ sampleRateHz: 12_800, unit: 'g', samples: samples(1024), ...extra });

const BAD: { topic: string; payload: string; reason: string; detail: RegExp }[] = [
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: 'hello, not json',
    reason: 'not_json',
    detail: /not JSON/,
  },
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: '{"sampleRateHz":12800,"unit":"g","samples":[NaN,1]}',
    reason: 'not_json',
    detail: /not JSON/,
  },
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: waveform({ sampleRateHz: 'fast' }),
    reason: 'invalid_payload',
    detail: /sampleRateHz: must be number/,
  },
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: waveform({ samples: [] }),
    reason: 'invalid_payload',
    detail: /samples: must NOT have fewer than 64 items/,
  },
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: `{"sampleRateHz":12800,"unit":"g","samples":[1e999${',0.1'.repeat(70)}]}`,
    reason: 'invalid_payload',
    detail: /samples\/0: must be number/,
  },
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: waveform({ unit: 'furlongs' }),
    reason: 'invalid_payload',
    detail: /unit: must be one of "g", "m\/s2"/,
  },
  {
    topic: 'plantwatch/pump-1/de/reading',
    payload: '{"value":"hot","unit":"degC"}',
    reason: 'invalid_payload',
    detail: /value: must be number/,
  },
  {
    // Epoch microseconds: the year 58000, a ticket the cloud would refuse for ever.
    topic: 'plantwatch/pump-1/temp/reading',
    payload: JSON.stringify({ value: 41.5, unit: 'degC', ts: Date.now() * 1000 }),
    reason: 'implausible_timestamp',
    detail:
      /^ts \d+ is in the year 5\d{4}, more than input.maxFutureSkew \(1d\) ahead of the gateway's clock: looks like microseconds since epoch; send epoch milliseconds \(divide by 1000\)$/,
  },
  {
    topic: 'plantwatch/pump-1/de/waveform',
    payload: waveform({ ts: Math.floor(Date.now() / 1000) }),
    reason: 'implausible_timestamp',
    detail:
      /^ts \d+ is in the year 1970, before input.earliest \(2000-01-01\): looks like seconds since epoch/,
  },
  {
    topic: 'plantwatch/pump 1/de/waveform',
    payload: waveform(),
    reason: 'bad_topic',
    detail: /asset and channel ids/,
  },
];

describe('MQTT source: bad input', () => {
  it('counts and logs each malformed message with its topic, and keeps running', async () => {
    const client = await mqtt.connectAsync(agent.brokerUrl);
    for (const bad of BAD) await client.publishAsync(bad.topic, bad.payload, { qos: 1 });
    await client.publishAsync('plantwatch/pump-1/de/waveform', waveform(), { qos: 1 });
    await client.publishAsync(
      'plantwatch/pump-1/temp/reading',
      JSON.stringify({ value: 41.5, unit: 'degC' }),
      { qos: 1 },
    );
    await waitFor(
      () => agent.status().counters.waveforms === 1 && agent.status().counters.readings === 1,
      'the good messages',
    );
    await client.endAsync();

    const status = agent.status();
    expect(status.counters.rejected).toBe(BAD.length);
    expect(status.sources[0]).toMatchObject({
      kind: 'mqtt',
      state: 'connected',
      rejected: BAD.length,
      accepted: 2,
    });

    const warnings = log.lines().filter((l) => l.msg && String(l.msg).startsWith('rejected measurement'));
    expect(warnings).toHaveLength(BAD.length);
    BAD.forEach((bad, i) => {
      expect(warnings[i]).toMatchObject({ topic: bad.topic, reason: bad.reason });
      expect(String(warnings[i]?.detail)).toMatch(bad.detail);
    });

    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toContain('plantwatch_edge_rejected_messages_total{source="mqtt",reason="not_json"} 2');
    expect(metrics).toContain(
      'plantwatch_edge_rejected_messages_total{source="mqtt",reason="invalid_payload"} 5',
    );
    expect(metrics).toContain(
      'plantwatch_edge_rejected_messages_total{source="mqtt",reason="implausible_timestamp"} 2',
    );
    expect(metrics).toContain('plantwatch_edge_waveforms_analysed_total 1');
  });

  it('serves the status contract', async () => {
    const status = (await (await fetch(`${agent.statusUrl}/api/v1/status`)).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      gatewayId: 'gw-test',
      outbox: { pending: 0, lastSeq: 0, ackedSeq: 0 },
      sources: [{ id: 'mqtt', kind: 'mqtt', state: 'connected' }],
    });
    const lastMessageAt = (status.sources as { lastMessageAt?: string }[])[0]!.lastMessageAt;
    expect(lastMessageAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.now() - Date.parse(lastMessageAt!)).toBeLessThan(60_000);
    expect((await fetch(`${agent.statusUrl}/healthz`)).status).toBe(200);
    // The cheap part of the status, for progress polls: the same counters, nothing else.
    const progress = (await (await fetch(`${agent.statusUrl}/api/v1/status/counters`)).json()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(progress).sort()).toEqual(['analysis', 'analysisTransforms', 'counters']);
    expect(progress.counters).toEqual(status.counters);
    expect(progress.counters).toMatchObject({ waveforms: 1, rejected: 10 });
    expect(progress.analysis).toEqual(status.analysis);
  });

  it('never logs the cloud token', () => {
    expect(JSON.stringify(log.lines())).not.toContain(token);
  });
});
