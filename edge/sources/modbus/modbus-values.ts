import type { RegisterType } from './modbus-config.js';

/** What a register mapping says about its raw words. */
export interface ValueLayout {
  type: RegisterType;
  wordOrder: 'big' | 'little';
  scale: number;
  offset: number;
}

/**
 * The number held in `words` (16-bit registers, as read) at `index`. Modbus sends each register
 * high byte first; a 32-bit value spans two registers, and devices disagree on which comes first:
 * `big` puts the high word first (Modicon's convention and most devices), `little` the low word.
 */
export function decodeRegisters(words: readonly number[], index: number, layout: ValueLayout): number {
  const first = words[index];
  if (first === undefined) throw new RangeError(`register ${index} was not read`);
  switch (layout.type) {
    case 'uint16':
      return first & 0xffff;
    case 'int16':
      return (first << 16) >> 16;
    case 'boolean':
      return first ? 1 : 0;
    default: {
      const second = words[index + 1];
      if (second === undefined) throw new RangeError(`register ${index + 1} was not read`);
      const [high, low] = layout.wordOrder === 'big' ? [first, second] : [second, first];
      const bytes = Buffer.alloc(4);
      bytes.writeUInt16BE(high & 0xffff, 0);
      bytes.writeUInt16BE(low & 0xffff, 2);
      if (layout.type === 'int32') return bytes.readInt32BE(0);
      if (layout.type === 'uint32') return bytes.readUInt32BE(0);
      return bytes.readFloatBE(0);
    }
  }
}

/** The engineering value: raw × scale + offset (a drive's 123 at scale 0.1 is 12.3 A). */
export const engineeringValue = (raw: number, layout: Pick<ValueLayout, 'scale' | 'offset'>): number =>
  raw * layout.scale + layout.offset;

/** The words a value of `type` takes in a register table, as a device stores it (for the simulator). */
export function encodeRegisters(
  value: number,
  type: Exclude<RegisterType, 'boolean'>,
  wordOrder: 'big' | 'little' = 'big',
): number[] {
  const bytes = Buffer.alloc(4);
  switch (type) {
    case 'int16':
    case 'uint16':
      return [Math.round(value) & 0xffff];
    case 'int32':
      bytes.writeInt32BE(Math.round(value), 0);
      break;
    case 'uint32':
      bytes.writeUInt32BE(Math.round(value) >>> 0, 0);
      break;
    case 'float32':
      bytes.writeFloatBE(value, 0);
      break;
  }
  const high = bytes.readUInt16BE(0);
  const low = bytes.readUInt16BE(2);
  return wordOrder === 'big' ? [high, low] : [low, high];
}
