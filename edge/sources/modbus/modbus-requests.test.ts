import { describe, expect, it } from 'vitest';
import type { ModbusRegisterConfig, ModbusTable, RegisterType } from './modbus-config.js';
import { planReads } from './modbus-requests.js';

const register = (
  table: ModbusTable,
  address: number,
  type: RegisterType = table === 'coil' || table === 'discrete' ? 'boolean' : 'uint16',
): ModbusRegisterConfig => ({
  assetId: 'pump-1',
  channel: `${table}_${address}_${type}`,
  table,
  address,
  type,
  wordOrder: 'big',
  scale: 1,
  offset: 0,
  unit: '1',
});

const limits = { maxRegistersPerRequest: 100, maxBitsPerRequest: 2000, maxGap: 8 };
const shape = (blocks: ReturnType<typeof planReads>) =>
  blocks.map((b) => ({ table: b.table, start: b.start, length: b.length, values: b.registers.length }));

describe('Modbus read planning', () => {
  it('reads neighbouring registers of a table in one request, spanning a 32-bit value', () => {
    const blocks = planReads(
      [register('holding', 2, 'float32'), register('holding', 0, 'int16'), register('holding', 1)],
      limits,
    );
    expect(shape(blocks)).toEqual([{ table: 'holding', start: 0, length: 4, values: 3 }]);
    expect(blocks[0]?.registers.map((r) => r.address)).toEqual([0, 1, 2]);
  });

  it('spans a gap of up to maxGap unused registers, and splits at a wider one', () => {
    expect(shape(planReads([register('holding', 0), register('holding', 9)], limits))).toEqual([
      { table: 'holding', start: 0, length: 10, values: 2 },
    ]);
    expect(shape(planReads([register('holding', 0), register('holding', 10)], limits))).toEqual([
      { table: 'holding', start: 0, length: 1, values: 1 },
      { table: 'holding', start: 10, length: 1, values: 1 },
    ]);
    expect(
      shape(planReads([register('holding', 0), register('holding', 3)], { ...limits, maxGap: 0 })),
    ).toHaveLength(2);
  });

  it('keeps each request within maxRegistersPerRequest, a 32-bit value never split', () => {
    const many = Array.from({ length: 10 }, (_, i) => register('input', i * 2, 'float32'));
    const blocks = planReads(many, { ...limits, maxRegistersPerRequest: 7 });
    expect(shape(blocks)).toEqual([
      { table: 'input', start: 0, length: 6, values: 3 },
      { table: 'input', start: 6, length: 6, values: 3 },
      { table: 'input', start: 12, length: 6, values: 3 },
      { table: 'input', start: 18, length: 2, values: 1 },
    ]);
    const spec = Array.from({ length: 300 }, (_, i) => register('holding', i));
    expect(planReads(spec, { ...limits, maxRegistersPerRequest: 125 }).map((b) => b.length)).toEqual([
      125, 125, 50,
    ]);
  });

  it('never mixes tables, and reads bits up to 2000 per request', () => {
    const blocks = planReads(
      [
        register('holding', 0),
        register('input', 1),
        register('coil', 0),
        register('coil', 1999),
        register('coil', 2000),
      ],
      { ...limits, maxGap: 2000 },
    );
    expect(shape(blocks)).toEqual([
      { table: 'holding', start: 0, length: 1, values: 1 },
      { table: 'input', start: 1, length: 1, values: 1 },
      { table: 'coil', start: 0, length: 2000, values: 2 },
      { table: 'coil', start: 2000, length: 1, values: 1 },
    ]);
  });

  it('keeps bit reads within maxBitsPerRequest, registers within their own limit', () => {
    const coils = Array.from({ length: 40 }, (_, i) => register('coil', i));
    const blocks = planReads([...coils, register('holding', 0), register('holding', 20)], {
      ...limits,
      maxBitsPerRequest: 16,
      maxGap: 20,
    });
    expect(shape(blocks)).toEqual([
      { table: 'coil', start: 0, length: 16, values: 16 },
      { table: 'coil', start: 16, length: 16, values: 16 },
      { table: 'coil', start: 32, length: 8, values: 8 },
      { table: 'holding', start: 0, length: 21, values: 2 },
    ]);
  });

  it('reads overlapping mappings once (a float32 and its high word)', () => {
    const blocks = planReads([register('holding', 40, 'float32'), register('holding', 40, 'int16')], limits);
    expect(shape(blocks)).toEqual([{ table: 'holding', start: 40, length: 2, values: 2 }]);
  });
});
