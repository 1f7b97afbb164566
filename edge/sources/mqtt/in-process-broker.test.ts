import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading, Waveform } from '../../../shared/schema/index.js';
import { encodeBinaryWaveform } from '../../../shared/waveform-binary.js';
import { freeLoopbackPort } from '../../../simulators/free-port.js';
import type { MeasurementSink } from '../source.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import { MqttSource } from './mqtt-source.js';
import { collectGarbage } from '../../collect-garbage.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(): Promise<EmbeddedBroker> {
  const started = await startEmbeddedBroker({ host: '127.0.0.1', port: await freeLoopbackPort() });
  cleanups.push(() => started.close());
  return started;
}

async function client(url: string): Promise<mqtt.MqttClient> {
  const connected = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  cleanups.push(() => connected.endAsync());
  return connected;
}

function collectingSink() {
  const got = { waveforms: [] as Waveform[], readings: [] as Reading[], rejected: [] as string[] };
  const sink: MeasurementSink = {
    waveform: (w) => got.waveforms.push(w),
    reading: (r) => got.readings.push(r),
    rejected: (r) => got.rejected.push(`${r.where}: ${r.reason}`),
  };
  return { got, sink };
}

/** The agent's MQTT source on its embedded broker, read in-process; stopped after the test. */
function agentSource(embedded: EmbeddedBroker): MqttSource {
  const source = new MqttSource({
    id: 'mqtt',
    brokerUrl: embedded.url,
    topicPrefix: 'plantwatch',
    clientId: 'agent',
    inProcess: embedded.inProcess,
  });
  cleanups.push(() => source.stop());
  return source;
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe('the agent reading its embedded broker in-process', () => {
  it('gets the retained value of a tag that holds steady, then live messages, as a subscribed client would', async () => {
    const embedded = await broker();
    const plc = await client(embedded.url);
    await plc.publishAsync(
      'plantwatch/press-1/oil_temp/reading',
      JSON.stringify({ value: 48.5, unit: 'degC' }),
      {
        qos: 1,
        retain: true,
      },
    );
    const { got, sink } = collectingSink();
    const source = agentSource(embedded);
    await source.start(sink);
    expect(source.health().state).toBe('connected');
    expect(got.readings.map((r) => [r.assetId, r.channel, r.value])).toEqual([['press-1', 'oil_temp', 48.5]]);

    await plc.publishAsync(
      'plantwatch/press-1/oil_temp/reading',
      JSON.stringify({ value: 49, unit: 'degC' }),
    );
    await plc.publishAsync('plantwatch/press-1/oil_temp/bogus', 'x');
    await plc.publishAsync('plantwatch/press-1/oil_temp/reading', 'not json');
    await until(
      () => got.readings.length === 2 && got.rejected.length === 1,
      'the live reading and one rejection',
    );
    expect(got.readings[1]!.value).toBe(49);
    expect(got.rejected).toEqual(['plantwatch/press-1/oil_temp/reading: not_json']);
    expect(source.health()).toMatchObject({ accepted: 2, rejected: 1 });

    await source.stop();
    await plc.publishAsync(
      'plantwatch/press-1/oil_temp/reading',
      JSON.stringify({ value: 50, unit: 'degC' }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(got.readings).toHaveLength(2);
  });

  it('decodes a scaled binary waveform without touching the bytes the broker keeps for other clients', async () => {
    const embedded = await broker();
    const { got, sink } = collectingSink();
    const source = agentSource(embedded);
    await source.start(sink);
    const samples = Array.from({ length: 4096 }, (_, i) => Math.sin(i / 3));
    const payload = encodeBinaryWaveform({ sampleRateHz: 12_800, unit: 'g', samples });
    payload.writeDoubleLE(4, 40);
    const sent = Buffer.from(payload);
    const sensor = await client(embedded.url);
    // Retained: the broker keeps this very packet and hands it to whoever subscribes later.
    await sensor.publishAsync('plantwatch/pump-1/de/waveform', payload, { qos: 1, retain: true });
    await until(() => got.waveforms.length === 1, 'the waveform at the agent');
    const historian = await client(embedded.url);
    const seen: Buffer[] = [];
    historian.on('message', (_topic, bytes) => seen.push(Buffer.from(bytes)));
    await historian.subscribeAsync('plantwatch/#', { qos: 1 });
    await until(() => seen.length === 1, 'the retained waveform at a later subscriber');

    expect(got.waveforms[0]!.samples[7]).toBeCloseTo(4 * Math.fround(samples[7]!), 5);
    expect(seen[0]!.equals(sent)).toBe(true);
  });

  it("lets a binary waveform's payload go while what refuses it waits for the analysis", async () => {
    // The analysis queue keeps a waveform's `refuse` until the worker answered; a payload kept with
    // it outlived two scavenges in a flood and filled V8's old generation (marking storms).
    const embedded = await broker();
    let refuse: ((index: number, value: number) => void) | undefined;
    let payloadBytes: WeakRef<ArrayBufferLike> | undefined;
    const sink: MeasurementSink = {
      waveform: (waveform, onNonFinite) => {
        if (!(waveform.samples instanceof Float32Array))
          throw new Error('a binary waveform reads as a Float32Array');
        payloadBytes = new WeakRef(waveform.samples.buffer);
        refuse = onNonFinite;
      },
      reading: () => {},
      rejected: () => {},
    };
    await agentSource(embedded).start(sink);
    const sensor = await client(embedded.url);
    const samples = Array.from({ length: 4096 }, (_, i) => Math.sin(i / 3));
    await sensor.publishAsync(
      'plantwatch/pump-1/de/waveform',
      encodeBinaryWaveform({ sampleRateHz: 12_800, unit: 'g', samples }),
    );
    await until(() => refuse !== undefined, 'the waveform at the agent');
    // A WeakRef holds its target until the task that made it is over.
    for (let i = 0; i < 3 && payloadBytes?.deref(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      collectGarbage();
    }
    expect(refuse).toBeTypeOf('function');
    expect(payloadBytes?.deref(), 'the payload still reachable from refuse').toBeUndefined();
  });
});
