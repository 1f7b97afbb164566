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
