import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import type { EdgeConfigFile } from '../edge/config.js';
import type { Ticket } from '../shared/schema/index.js';
import { encodeBinaryWaveform } from '../shared/waveform-binary.js';
import { cloudTickets } from './helpers/cloud-client.js';
import { rulesDir } from './helpers/rules.js';
import { removeTempDirs, silentLogger, startTestCloud, testEdgeConfig, waitFor } from './helpers/stack.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

const LOUD = {
  'loud.yaml': `rules:
  - id: loud
    title: Loud
    when: velocityRmsMmS > 1
    severity: medium
    fault: threshold
    action: SOP-VIB-01
`,
};

async function agentWith(config: Omit<Partial<EdgeConfigFile>, 'cloud'>) {
  const cloud: RunningCloud = await startTestCloud();
  running.push(cloud);
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  const agent: EdgeAgent = await startEdgeAgent(
    testEdgeConfig({ ...config, cloud: { url: cloud.url, token } }),
    silentLogger(),
  );
  running.push(agent);
  return { agent, tickets: (): Promise<Ticket[]> => cloudTickets(cloud) };
}

/** 1× at 25 Hz (1500 rpm) and a 3 kHz resonance, n samples at 25.6 kHz. */
const signal = (n: number, gain = 1) =>
  Float32Array.from(
    { length: n },
    (_, i) =>
      gain *
      (0.8 * Math.sin((2 * Math.PI * 25 * i) / 25_600) + 0.2 * Math.sin((2 * Math.PI * 3000 * i) / 25_600)),
  );
const payload = (n: number, gain = 1) =>
  encodeBinaryWaveform({ sampleRateHz: 25_600, unit: 'g', rpm: 1500, samples: signal(n, gain) });

describe('waveform analysis in worker threads', () => {
  it('gives the same features as on the event loop, and a ticket with its spectrum fetched from the worker', async () => {
    const pooled = await agentWith({ analysis: { workers: 2 }, rulesDir: rulesDir(LOUD) });
    const inline = await agentWith({ analysis: { workers: 0 }, rulesDir: rulesDir(LOUD) });
    for (const { agent } of [pooled, inline]) {
      const client = await mqtt.connectAsync(agent.brokerUrl);
      await client.publishAsync('plantwatch/pump-1/de/waveform', payload(16_384), { qos: 1 });
      await client.endAsync();
      await waitFor(() => agent.status().counters.waveforms === 1, 'the waveform analysed');
    }
    expect(pooled.agent.status().analysis.workers).toBe(2);
    expect(inline.agent.status().analysis.workers).toBe(0);
    const [a, b] = [pooled, inline].map(({ agent }) => agent.status().latestFeatures[0]!);
    expect(a!.velocityRmsMmS).toBeGreaterThan(1);
    for (const name of ['velocityRmsMmS', 'kurtosis', 'order1xMmS', 'accelRms'] as const)
      expect(a![name]).toBeCloseTo(b![name]!, 9);
    const ticket = await waitFor(
      async () => (await pooled.tickets()).find((t) => t.rule.id === 'loud'),
      'the ticket in the cloud',
    );
    expect(ticket.evidence.spectrum?.amplitudes.length).toBeGreaterThan(100);
    expect(Math.max(...ticket.evidence.spectrum!.amplitudes)).toBeGreaterThan(1);
  });

  it('when a channel falls behind, keeps its newest waveform, counts the dropped ones, and never drops a reading', async () => {
    const { agent } = await agentWith({ analysis: { workers: 1, queuePerChannel: 1 } });
    const client = await mqtt.connectAsync(agent.brokerUrl);
    // 131,072 samples each: analysed far slower than they arrive in a burst.
    const big = payload(131_072);
    for (let i = 0; i < 12; i++) {
      client.publish('plantwatch/press-1/de/waveform', big, { qos: 0 });
      client.publish('plantwatch/press-1/temp/reading', JSON.stringify({ value: 40 + i, unit: 'degC' }), {
        qos: 0,
      });
    }
    const last = payload(131_072, 2);
    await client.publishAsync('plantwatch/press-1/de/waveform', last, { qos: 1 });
    await client.endAsync();
    await waitFor(() => {
      const { counters } = agent.status();
      return counters.waveforms + counters.dropped === 13 && counters.readings === 12;
    }, 'every waveform analysed or dropped, every reading received');
    const { counters, latestFeatures } = agent.status();
    expect(counters.dropped).toBeGreaterThan(0);
    expect(counters.readings).toBe(12);
    // A dropped waveform's slot carried a later one: one running, one waiting and one arriving (held
    // before the queue drops the one it supersedes) at most, not one per waveform.
    expect(agent.status().analysis.sampleSlots).toBeLessThanOrEqual(3);
    // The last one published (twice as loud) is the one whose features the agent shows.
    const loudest = latestFeatures.find((f) => f.channel === 'de')!;
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toContain(
      `plantwatch_edge_waveforms_dropped_total{reason="superseded"} ${counters.dropped}`,
    );
    const single = await agentWith({ analysis: { workers: 0 } });
    const one = await mqtt.connectAsync(single.agent.brokerUrl);
    await one.publishAsync('plantwatch/press-1/de/waveform', last, { qos: 1 });
    await one.endAsync();
    await waitFor(() => single.agent.status().counters.waveforms === 1, 'the reference analysis');
    expect(loudest.accelRms).toBeCloseTo(single.agent.status().latestFeatures[0]!.accelRms, 6);
  });
});
