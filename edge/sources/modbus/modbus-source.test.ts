import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../../shared/schema/index.js';
import { startModbusSimulator } from '../../../simulators/modbus/modbus-simulator.js';
import { capturingLogger, freePort, waitFor } from '../../../test/helpers/stack.js';
import type { MeasurementSink } from '../source.js';
import { type ModbusDevice, resolveModbusDevice } from './modbus-config.js';
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
        pollInterval: '100ms',
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
        pollInterval: '100ms',
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

/** Three channels of the simulated drive, from two register blocks and the coils. */
const drive = (port: number): ModbusDevice => ({
  id: 'drive-3',
  host: '127.0.0.1',
  port,
  pollInterval: '100ms',
  timeout: '300ms',
  reconnectMaxDelay: '500ms',
  registers: [
    { assetId: 'pump-3', channel: 'speed', table: 'holding', address: 1, unit: 'rpm' },
    { assetId: 'pump-3', channel: 'bearing_temperature', table: 'holding', address: 2, type: 'float32' },
    { assetId: 'pump-3', channel: 'running', table: 'coil', address: 0 },
  ],
});
const CHANNELS = ['speed', 'bearing_temperature', 'running'];

/** A source on `port` whose readings and rejections are kept. */
async function watchedSource(port: number) {
  const readings: Reading[] = [];
  const rejections: { reason: string; where: string }[] = [];
  const source = new ModbusSource(resolveModbusDevice(drive(port)), capturingLogger().logger);
  running.push(source);
  await source.start({
    reading: (r) => readings.push(r),
    waveform: () => undefined,
    rejected: (r) => rejections.push(r),
  });
  const since = (from: number, quality: 'good' | 'bad') =>
    readings.slice(from).filter((r) => r.quality === quality);
  /** Whether every channel has a reading of this quality from index `from` on. */
  const all = (from: number, quality: 'good' | 'bad') =>
    CHANNELS.every((channel) => since(from, quality).some((r) => r.channel === channel));
  return { source, readings, rejections, since, all };
}

describe('Modbus source when the connection is down', () => {
  it('reads a device down at boot as bad quality once per channel, not per retry, then good once it listens', async () => {
    const port = await freePort();
    const { source, readings, all } = await watchedSource(port);
    await waitFor(() => (source.health().modbusErrors?.connection_refused ?? 0) >= 3, 'three refusals');
    expect(readings.map((r) => `${r.channel} ${r.quality} ${r.value}`).sort()).toEqual([
      'bearing_temperature bad NaN',
      'running bad NaN',
      'speed bad NaN',
    ]);
    // Never reached since start is not an outage: no connection_lost, so noData rules still raise
    // sensor_fault for a wrong host or port.
    expect(readings.every((r) => r.qualityReason === undefined)).toBe(true);
    expect(source.health()).toMatchObject({
      state: 'connecting',
      accepted: 0,
      lastError: `connection refused at 127.0.0.1:${port}: is the device on and is the port right?`,
    });

    const sim = await startModbusSimulator({ port });
    running.push(sim);
    await waitFor(() => all(3, 'good'), 'good readings of every channel');
    expect(source.health()).toMatchObject({ state: 'connected', connects: 1 });
  });

  it('reads every channel bad within a second of losing the connection, once, and good again after a restart', async () => {
    const first = await startModbusSimulator({ port: 0 });
    const { port } = first;
    const { source, readings, since, all } = await watchedSource(port);
    await waitFor(() => all(0, 'good'), 'good readings of every channel');

    const lostAt = readings.length;
    const stoppedAt = Date.now();
    await first.stop();
    await waitFor(() => all(lostAt, 'bad'), 'bad readings of every channel');
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(source.health().modbusErrors?.connection_lost).toBe(1);
    await waitFor(() => (source.health().modbusErrors?.connection_refused ?? 0) >= 3, 'three refusals');
    // The retries send nothing more: one bad reading per channel for the whole outage.
    expect(
      since(lostAt, 'bad')
        .map((r) => r.channel)
        .sort(),
    ).toEqual([...CHANNELS].sort());
    expect(readings.slice(lostAt).every((r) => r.quality === 'bad')).toBe(true);
    // A connection that was up and went away: the source is offline (edge/rules/source-offline.ts).
    expect(readings.slice(lostAt).every((r) => r.qualityReason === 'connection_lost')).toBe(true);

    const backAt = readings.length;
    const second = await startModbusSimulator({ port });
    running.push(second);
    await waitFor(() => all(backAt, 'good'), 'good readings after the restart');
    expect(source.health()).toMatchObject({ state: 'connected', connects: 2 });
  });
});

describe('Modbus source given a value that is no number', () => {
  it('rejects a float32 NaN as not_finite and reads the channel bad, so the previous value does not stand', async () => {
    const sim = await startModbusSimulator({ port: 0 });
    running.push(sim);
    const { source, readings, rejections, since } = await watchedSource(sim.port);
    await waitFor(() => since(0, 'good').some((r) => r.channel === 'bearing_temperature'), 'a temperature');

    const brokeAt = readings.length;
    sim.pinWords('holding', 2, [0x7fc0, 0x0000]); // IEEE 754 quiet NaN: a broken sensor
    await waitFor(
      () => since(brokeAt, 'bad').some((r) => r.channel === 'bearing_temperature'),
      'a bad temperature reading',
    );
    const temperatures = readings.filter((r) => r.channel === 'bearing_temperature');
    expect(temperatures.at(-1)).toMatchObject({ quality: 'bad', value: Number.NaN });
    expect(rejections.at(-1)).toMatchObject({
      reason: 'not_finite',
      where: `modbus-tcp://127.0.0.1:${sim.port}/1 holding 2 (pump-3/bearing_temperature)`,
    });
    expect(source.health().rejected).toBeGreaterThan(0);
    // Its neighbour in the same request is unaffected, and the device is no error.
    expect(readings.filter((r) => r.channel === 'speed').at(-1)).toMatchObject({ quality: 'good' });
    expect(source.health()).toMatchObject({ state: 'connected', modbusErrors: {} });
  });
});
