import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters, engineeringValue, type ValueLayout } from './modbus-values.js';

const layout = (type: ValueLayout['type'], wordOrder: ValueLayout['wordOrder'] = 'big'): ValueLayout => ({
  type,
  wordOrder,
  scale: 1,
  offset: 0,
});

describe('Modbus register decoding', () => {
  it('reads 16-bit registers as signed or unsigned', () => {
    expect(decodeRegisters([0xfff6], 0, layout('int16'))).toBe(-10);
    expect(decodeRegisters([0xfff6], 0, layout('uint16'))).toBe(65526);
    expect(decodeRegisters([0x7fff, 0x8000], 1, layout('int16'))).toBe(-32768);
    expect(decodeRegisters([0x7fff], 0, layout('int16'))).toBe(32767);
  });

  it('reads 32-bit values high word first (big) or low word first (little)', () => {
    // 0x0001_86A0 = 100000
    expect(decodeRegisters([0x0001, 0x86a0], 0, layout('uint32', 'big'))).toBe(100_000);
    expect(decodeRegisters([0x86a0, 0x0001], 0, layout('uint32', 'little'))).toBe(100_000);
    // 0xFFFF_FFFE = -2 signed, 4294967294 unsigned
    expect(decodeRegisters([0xfffe, 0xffff], 0, layout('int32', 'little'))).toBe(-2);
    expect(decodeRegisters([0xffff, 0xfffe], 0, layout('uint32', 'big'))).toBe(4_294_967_294);
    expect(decodeRegisters([9, 0xffff, 0xfffe], 1, layout('int32', 'big'))).toBe(-2);
  });

  it('reads IEEE 754 float32 in either word order', () => {
    // 12.5 = 0x4148_0000; -61.25 = 0xC275_0000; 0.1 ≈ 0x3DCC_CCCD
    expect(decodeRegisters([0x4148, 0x0000], 0, layout('float32', 'big'))).toBe(12.5);
    expect(decodeRegisters([0x0000, 0x4148], 0, layout('float32', 'little'))).toBe(12.5);
    expect(decodeRegisters([0xc275, 0x0000], 0, layout('float32'))).toBe(-61.25);
    expect(decodeRegisters([0x3dcc, 0xcccd], 0, layout('float32'))).toBeCloseTo(0.1, 7);
    expect(decodeRegisters([0x7fc0, 0x0000], 0, layout('float32'))).toBeNaN();
  });

  it('reads a bit as 0 or 1', () => {
    expect(decodeRegisters([0, 1], 1, layout('boolean'))).toBe(1);
    expect(decodeRegisters([0, 1], 0, layout('boolean'))).toBe(0);
  });

  it('applies scale, then offset', () => {
    expect(engineeringValue(123, { scale: 0.1, offset: 0 })).toBeCloseTo(12.3, 10);
    expect(engineeringValue(-400, { scale: 0.1, offset: 273.15 })).toBeCloseTo(233.15, 10);
    expect(engineeringValue(5, { scale: 1, offset: -5 })).toBe(0);
  });

  it('refuses to read past the words that were read', () => {
    expect(() => decodeRegisters([0x4148], 0, layout('float32'))).toThrow('register 1 was not read');
  });

  it('encodes what it decodes (the simulator writes its registers with it)', () => {
    expect(encodeRegisters(12.5, 'float32', 'big')).toEqual([0x4148, 0x0000]);
    expect(encodeRegisters(12.5, 'float32', 'little')).toEqual([0x0000, 0x4148]);
    expect(encodeRegisters(-10, 'int16')).toEqual([0xfff6]);
    expect(encodeRegisters(100_000, 'uint32', 'little')).toEqual([0x86a0, 0x0001]);
    for (const [value, type, order] of [
      [-123456, 'int32', 'big'],
      [3_000_000_000, 'uint32', 'little'],
      [61.25, 'float32', 'little'],
    ] as const)
      expect(decodeRegisters(encodeRegisters(value, type, order), 0, layout(type, order))).toBe(value);
  });
});
