/**
 * The publisher side of `bench --only edge-throughput`, run in its own process: publishes
 * `--count` waveforms round-robin over `--assets` assets to the agent's broker, keeping at most three
 * waveforms per channel ahead of what the agent reports analysed (within its queue, so nothing is
 * dropped, and the agent never waits), and prints one JSON line when done. Without `--count`, it
 * publishes a batch for each count read on stdin, on the same connection, a JSON line each.
 */
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { measurementTopic } from '../../shared/schema/index.js';
import { sleep } from '../../shared/time.js';
import { type WaveformFormat, waveformMessage } from '../waveform-format.js';
import { bearingSignal, CHANNEL_RATE_HZ } from './analysis.bench.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]!]] : [])),
);
const brokerUrl = args.get('broker')!;
const statusUrl = args.get('status')!;
const format = args.get('format') as WaveformFormat;
const assets = Number(args.get('assets'));
const samples = Number(args.get('samples'));
const RPM = 2980;

const analysed = async (): Promise<number> => {
  const status = (await (await fetch(`${statusUrl}/api/v1/status/counters`)).json()) as {
    counters: { waveforms: number; rejected: number };
  };
  return status.counters.waveforms + status.counters.rejected;
};

const signal = bearingSignal(samples, RPM);
// Pre-encoded: the publisher's own cost stays out of the agent's CPU time.
const messages = Array.from({ length: assets }, (_, a) => {
  // In JSON to 5 significant digits, as `plantwatch sim vibration` sends them (137–141 KB a
  // waveform, the size the issue measured); full doubles would be 330 KB.
  const scaled = signal.map((v) =>
    format === 'json' ? Number((v * (1 + a / 100)).toPrecision(5)) : v * (1 + a / 100),
  );
  return waveformMessage({ sampleRateHz: CHANNEL_RATE_HZ, unit: 'g', rpm: RPM, samples: scaled }, format);
});
const client = await mqtt.connectAsync(brokerUrl, { clientId: `bench-publisher-${process.pid}` });

/** Publishes `count` waveforms and waits until the agent has taken them all (five minutes at most). */
async function publishBatch(count: number): Promise<{ sent: number; analysed: number; bytes: number }> {
  const start = await analysed();
  let sent = 0;
  let done = start;
  const deadline = Date.now() + 300_000;
  while (sent < count && Date.now() < deadline) {
    // Three per channel ahead (within the agent's queue of 256): the agent always has the next one,
    // and the progress polls, which the agent pays for, stay rare (every 100 ms, of the cheap
    // /api/v1/status/counters: the whole status cost the agent 7 % of its event loop here).
    if (sent - (done - start) < 3 * assets) {
      const asset = sent % assets;
      const topic = measurementTopic('plantwatch', `bench-${asset}`, 'de', 'waveform');
      await client.publishAsync(topic, messages[asset]!, { qos: 0 });
      sent++;
    } else {
      await sleep(100);
      done = await analysed();
    }
  }
  while (done - start < sent && Date.now() < deadline) {
    await sleep(20);
    done = await analysed();
  }
  return { sent, analysed: done - start, bytes: messages[0]!.length };
}

if (args.has('count')) {
  process.stdout.write(`${JSON.stringify(await publishBatch(Number(args.get('count'))))}\n`);
} else {
  // Batches on one connection: a count per line on stdin, a JSON line each on stdout. A new
  // connection per batch cost the agent's side more than the batch's waveforms alone (an
  // empty session, connect to disconnect, 8 ms of the broker's CPU; 64 waveforms 27 ms).
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    process.stdout.write(`${JSON.stringify(await publishBatch(Number(line)))}\n`);
  }
}
await client.endAsync();
