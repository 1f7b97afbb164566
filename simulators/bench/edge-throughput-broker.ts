/**
 * The broker-only side of `bench --only edge-throughput`, run in its own process: the agent's
 * embedded broker, as `plantwatch edge` starts it on loopback and in a process set up as the
 * agent's, with one in-process subscriber that copies each waveform's payload into a reused buffer,
 * the least the agent's MQTT source does with one. It answers the publisher's progress polls as the
 * agent's status port does, and prints `ready` once both ports listen.
 *
 * Its CPU per waveform is the share of the agent's that MQTT takes: what a waveform would cost the
 * agent if everything after the broker were free.
 *
 * Usage: node edge-throughput-broker.js --broker-port P --status-port Q
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { nativeKernels } from '../../edge/signal/native-kernels.js';
import { startEmbeddedBroker } from '../../edge/sources/mqtt/embedded-broker.js';
import { capYoungGeneration } from '../../edge/young-generation.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]!]] : [])),
);
const brokerPort = Number(args.get('broker-port'));
const statusPort = Number(args.get('status-port'));

// As the agent's event loop runs: its young generation capped (see capYoungGeneration), and freed
// memory held for reuse, or glibc gives each freed socket buffer's pages back and faults them in
// again for the next one (measured here: 3–9 page faults a waveform and 2–3× the CPU).
capYoungGeneration();
nativeKernels?.holdFreedMemory();
const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: brokerPort });
const copy = new Uint8Array(1 << 20);
let received = 0;
await broker.inProcess.subscribe(['plantwatch/+/+/waveform'], (_topic, payload) => {
  copy.set(payload.subarray(0, copy.length));
  received++;
});
const status = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ counters: { waveforms: received, rejected: 0 } }));
});
status.listen(statusPort, '127.0.0.1');
await once(status, 'listening');
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  status.close();
  void broker.close().then(() => process.exit(0));
});
