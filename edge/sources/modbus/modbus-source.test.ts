import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../../shared/schema/index.js';
import { startModbusSimulator } from '../../../simulators/modbus/modbus-simulator.js';
import { capturingLogger, waitFor } from '../../../test/helpers/stack.js';
import type { MeasurementSink } from '../source.js';
import { resolveModbusDevice } from './modbus-config.js';
import { ModbusSource } from './modbus-source.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

describe('Modbus source against the simulator', () => {
  it('logs a failing block once per change of reason, not per poll, and once when it answers again', async () => {
    const sim = await startModbusSimulator({ port: 0, exceptions: [{ table: 'holding', address: 50 }] });
    running.push(sim);
    const { logger, lines } = capturingLogger();
    const source = new ModbusSource(
      resolveModbusDevice({
        id: 'drive-7',
        host: '127.0.0.1',
        port: sim.port,
        pollInterval: '50ms',
        timeout: '300ms',
        registers: [
          { assetId: 'pump-1', channel: 'speed', table: 'holding', address: 1, unit: 'rpm' },
          { assetId: 'pump-1', channel: 'seal_ok', table: 'holding', address: 50 },
        ],
      }),
      logger,
    );
    running.push(source);
    const readings: Reading[] = [];
    const sink: MeasurementSink = {
      reading: (r) => readings.push(r),
      waveform: () => undefined,
      rejected: () => undefined,
    };
    await source.start(sink);
    await waitFor(() => (source.health().modbusErrors?.illegal_address ?? 0) >= 10, 'ten failed polls');
    const about = (text: string) =>
      lines().filter((l) => typeof l.msg === 'string' && (l.msg as string).includes(text));
    expect(about('holding 50 of unit 1')).toHaveLength(1);
    expect(about('holding 50 of unit 1')[0]).toMatchObject({ level: 40, reason: 'illegal_address' });
    expect(readings.filter((r) => r.channel === 'seal_ok').every((r) => r.quality === 'bad')).toBe(true);
    expect(readings.filter((r) => r.channel === 'speed').every((r) => r.quality === 'good')).toBe(true);

    // Now the device hangs: one new line per block for the new reason, then a reconnection.
    sim.silent = true;
    await waitFor(() => (source.health().modbusErrors?.no_answer ?? 0) >= 2, 'two unanswered polls');
    expect(about('holding 1 of unit 1')).toHaveLength(1);
    expect(about('holding 50 of unit 1')).toHaveLength(2);
    sim.silent = false;
    await waitFor(() => about('holding 1 answers again').length === 1, 'the block to answer again');
    expect(source.health()).toMatchObject({ kind: 'modbus', state: 'connected' });
  });
});

/** A device that answers every request with a frame too short for it: a broken firmware or gateway. */
async function garblingDevice(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (request) => {
      // MBAP (transaction id, protocol 0, length 4), unit, function, byte count 4, one register only.
      const answer = Buffer.from([0, 0, 0, 0, 0, 5, request[6] ?? 1, request[7] ?? 3, 4, 0x01, 0x02]);
      answer.writeUInt16BE(request.readUInt16BE(0), 0);
      socket.write(answer);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('Modbus source against a device that garbles its answers', () => {
  it('reads the channels as bad quality with reason bad_answer, and keeps the connection', async () => {
    const device = await garblingDevice();
    running.push(device);
    const { logger } = capturingLogger();
    const source = new ModbusSource(
      resolveModbusDevice({
        id: 'garbler',
        host: '127.0.0.1',
        port: device.port,
        pollInterval: '50ms',
        timeout: '300ms',
        registers: [{ assetId: 'pump-1', channel: 'temp', table: 'holding', address: 2, type: 'float32' }],
      }),
      logger,
    );
    running.push(source);
    const readings: Reading[] = [];
    await source.start({
      reading: (r) => readings.push(r),
      waveform: () => undefined,
      rejected: () => undefined,
    });
    await waitFor(() => (source.health().modbusErrors?.bad_answer ?? 0) >= 3, 'three garbled answers');
    expect(readings.length).toBeGreaterThanOrEqual(3);
    expect(readings.every((r) => r.quality === 'bad' && Number.isNaN(r.value))).toBe(true);
    expect(source.health()).toMatchObject({ state: 'connected', connects: 1 });
    expect(source.health().lastError).toMatch(
      /holding 2-3 of unit 1 at 127\.0\.0\.1:\d+: the answer does not fit the request/,
    );
  });
});
