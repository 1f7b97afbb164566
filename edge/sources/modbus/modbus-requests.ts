import { isBitTable, type ModbusRegisterConfig, type ModbusTable, WORDS_PER_TYPE } from './modbus-config.js';

/** One read request: a run of addresses in one table, and the mapped values it delivers. */
export interface ReadBlock {
  table: ModbusTable;
  start: number;
  /** Registers (or bits) read. */
  length: number;
  registers: ModbusRegisterConfig[];
}

const span = (register: ModbusRegisterConfig): number => WORDS_PER_TYPE[register.type];

/**
 * The fewest reads that fetch every mapped value: each table's values sorted by address, neighbours
 * merged into one request while the unused addresses between them are at most `maxGap` and the read
 * stays within `maxRegistersPerRequest` (registers) or `maxBitsPerRequest` (bits). A device answers one
 * read of 20 registers as fast as one of 2, and each round trip costs a poll its time. Overlapping
 * mappings (a float32 and its high word as int16) share the read.
 */
export function planReads(
  registers: readonly ModbusRegisterConfig[],
  limits: { maxRegistersPerRequest: number; maxBitsPerRequest: number; maxGap: number },
): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const tables = [...new Set(registers.map((r) => r.table))];
  for (const table of tables) {
    const maxLength = isBitTable(table) ? limits.maxBitsPerRequest : limits.maxRegistersPerRequest;
    const sorted = registers
      .filter((r) => r.table === table)
      .sort((a, b) => a.address - b.address || span(b) - span(a));
    let block: ReadBlock | undefined;
    for (const register of sorted) {
      const end = register.address + span(register);
      const fits =
        block !== undefined &&
        register.address - (block.start + block.length) <= limits.maxGap &&
        Math.max(end, block.start + block.length) - block.start <= maxLength;
      if (block && fits) {
        block.length = Math.max(end, block.start + block.length) - block.start;
        block.registers.push(register);
        continue;
      }
      block = { table, start: register.address, length: span(register), registers: [register] };
      blocks.push(block);
    }
  }
  return blocks;
}
