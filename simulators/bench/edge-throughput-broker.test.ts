import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { measurementTopic } from '../../shared/schema/index.js';
import { packageRoot } from '../../shared/paths.js';
import { sleep } from '../../shared/time.js';
import { freeLoopbackPort } from '../free-port.js';
import { waveformMessage } from '../waveform-format.js';

const script = join(packageRoot(), 'dist', 'simulators', 'bench', 'edge-throughput-broker.js');
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** The broker-only process on free loopback ports, once it says it is ready. */
async function startBrokerOnly(): Promise<{ brokerPort: number; statusPort: number }> {
  const [brokerPort, statusPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const broker = spawn(
    process.execPath,
    [script, '--broker-port', String(brokerPort), '--status-port', String(statusPort)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  stops.push(async () => {
    broker.kill('SIGTERM');
    if (broker.exitCode === null) await once(broker, 'exit');
  });
  const [ready] = (await once(broker.stdout!, 'data')) as [Buffer];
  expect(ready.toString()).toBe('ready\n');
  return { brokerPort, statusPort };
}

describe("edge-throughput's broker-only process", () => {
  it('takes binary waveforms on the embedded broker and counts them where the publisher polls', async () => {
    const { brokerPort, statusPort } = await startBrokerOnly();

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`);
    stops.push(() => client.endAsync());
    const message = waveformMessage(
      {
        sampleRateHz: 25_600,
        unit: 'g',
        rpm: 2980,
        samples: Array.from({ length: 4096 }, (_, i) => Math.sin(i)),
      },
      'binary',
    );
    for (let i = 0; i < 3; i++)
      await client.publishAsync(measurementTopic('plantwatch', `bench-${i}`, 'de', 'waveform'), message);
    // A reading is not a waveform: not counted.
    await client.publishAsync(measurementTopic('plantwatch', 'bench-0', 'temp', 'reading'), '{"value":1}');

    let counters = { waveforms: 0, rejected: -1 };
    for (let i = 0; i < 50 && counters.waveforms < 3; i++) {
      await sleep(50);
      counters = (
        (await (await fetch(`http://127.0.0.1:${statusPort}/api/v1/status/counters`)).json()) as {
          counters: typeof counters;
        }
      ).counters;
    }
    await sleep(100);
    counters = (
      (await (await fetch(`http://127.0.0.1:${statusPort}/api/v1/status/counters`)).json()) as {
        counters: typeof counters;
      }
    ).counters;
    expect(counters).toEqual({ waveforms: 3, rejected: 0 });
  });

  it('takes batches from one publisher that stays connected, a report per count on its stdin', async () => {
    const { brokerPort, statusPort } = await startBrokerOnly();
    const publisher = spawn(
      process.execPath,
      [
        join(packageRoot(), 'dist', 'simulators', 'bench', 'edge-throughput-publisher.js'),
        ...['--broker', `mqtt://127.0.0.1:${brokerPort}`, '--status', `http://127.0.0.1:${statusPort}`],
        ...['--format', 'binary', '--assets', '2', '--samples', '1024'],
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    stops.push(async () => {
      publisher.kill('SIGTERM');
      if (publisher.exitCode === null) await once(publisher, 'exit');
    });
    const reports = createInterface({ input: publisher.stdout! })[Symbol.asyncIterator]();
    for (const count of [5, 3]) {
      publisher.stdin!.write(`${count}\n`);
      const report = JSON.parse((await reports.next()).value as string) as Record<string, number>;
      // 1,024 float32 samples and the header.
      expect(report).toEqual({ sent: count, analysed: count, bytes: expect.any(Number) });
      expect(report['bytes']).toBeGreaterThan(4096);
    }
    publisher.stdin!.end();
    const [code] = (await once(publisher, 'exit')) as [number];
    expect(code).toBe(0);
  });
});
