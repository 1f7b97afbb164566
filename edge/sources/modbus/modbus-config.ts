import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId } from '../../../shared/schema/index.js';
import { Duration, durationMs } from '../../../shared/duration.js';

const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>(Type.Union(values.map((v) => Type.Literal(v))));

/** The four Modbus data tables: 16-bit registers (holding, input) and single bits (coil, discrete). */
export const MODBUS_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'boolean'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

/** Registers (16-bit words) a value of each type occupies; a boolean is one bit of a bit table. */
export const WORDS_PER_TYPE: Record<RegisterType, number> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  boolean: 1,
};

/** Modbus Application Protocol V1.1b3, 6.1-6.4: the most one read may ask for. */
export const SPEC_MAX_REGISTERS = 125;
export const SPEC_MAX_BITS = 2000;

/**
 * modbus-serial takes a timeout of 0 as "wait forever", so a device that went silent would stall its
 * loop with the source still `connected`; below 50 ms a loaded device or a gateway's serial hop
 * (a 9600 baud RTU frame alone takes ~30 ms) times out on healthy answers.
 */
export const MIN_TIMEOUT_MS = 50;
/** A poll interval of 0 sent ~900 polls in 5 s to the simulator: a flood, not a faster reading. */
export const MIN_POLL_INTERVAL_MS = 100;
/** The first retry's delay: a longest delay below it would retry a dead device in a tight loop. */
export const RECONNECT_INITIAL_MS = 250;

export const isBitTable = (table: ModbusTable): boolean => table === 'coil' || table === 'discrete';

/** One value in the device and where it goes. */
export const ModbusRegisterMapping = Type.Object(
  {
    assetId: AssetId,
    channel: ChannelId,
    table: literals(MODBUS_TABLES),
    /** The 0-based protocol address (register 40041 in the 4xxxx notation is holding address 40). */
    address: Type.Integer({ description: 'register address 0-65535' }),
    /** Default: boolean for coil and discrete tables, uint16 for registers. */
    type: Type.Optional(literals(REGISTER_TYPES)),
    /** big: the high word first (Modbus' own byte order, most devices); little: the low word first. */
    wordOrder: Type.Optional(literals(['big', 'little'] as const)),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type ModbusRegisterMapping = Static<typeof ModbusRegisterMapping>;

export const ModbusDevice = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'device id' }),
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** The unit (slave) id; behind a Modbus TCP gateway it picks the serial device. */
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** At least 100 ms (MIN_POLL_INTERVAL_MS). */
    pollInterval: Type.Optional(Duration),
    /** How long one request may wait for its answer (also the connect timeout); at least 50 ms. */
    timeout: Type.Optional(Duration),
    /** Longest read of a holding or input table, in registers. */
    maxRegistersPerRequest: Type.Optional(Type.Integer({ minimum: 1, maximum: SPEC_MAX_REGISTERS })),
    /** Longest read of a coil or discrete table, in bits (some devices and gateways take fewer than 2000). */
    maxBitsPerRequest: Type.Optional(Type.Integer({ minimum: 1, maximum: SPEC_MAX_BITS })),
    /** Unused registers a read may span to join two neighbours into one request. */
    maxGap: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
    /** The longest wait between reconnection attempts (backoff from 250 ms, doubling). */
    reconnectMaxDelay: Type.Optional(Duration),
    registers: Type.Array(ModbusRegisterMapping, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type ModbusDevice = Static<typeof ModbusDevice>;

export interface ModbusRegisterConfig {
  assetId: string;
  channel: string;
  table: ModbusTable;
  address: number;
  type: RegisterType;
  wordOrder: 'big' | 'little';
  scale: number;
  offset: number;
  unit: string;
}

/** A device with every default applied. */
export interface ModbusDeviceConfig {
  id: string;
  host: string;
  port: number;
  unitId: number;
  pollIntervalMs: number;
  timeoutMs: number;
  maxRegistersPerRequest: number;
  maxBitsPerRequest: number;
  maxGap: number;
  reconnect: { initialMs: number; maxMs: number };
  registers: ModbusRegisterConfig[];
}

export const DEFAULT_MODBUS_PORT = 502;
export const DEFAULT_MAX_GAP = 8;

export function resolveModbusDevice(device: ModbusDevice): ModbusDeviceConfig {
  return {
    id: device.id,
    host: device.host,
    port: device.port ?? DEFAULT_MODBUS_PORT,
    unitId: device.unitId ?? 1,
    pollIntervalMs: durationMs(device.pollInterval ?? '1s'),
    timeoutMs: durationMs(device.timeout ?? '1s'),
    maxRegistersPerRequest: device.maxRegistersPerRequest ?? 100,
    maxBitsPerRequest: device.maxBitsPerRequest ?? SPEC_MAX_BITS,
    maxGap: device.maxGap ?? DEFAULT_MAX_GAP,
    reconnect: { initialMs: RECONNECT_INITIAL_MS, maxMs: durationMs(device.reconnectMaxDelay ?? '10s') },
    registers: device.registers.map((register) => ({
      assetId: register.assetId,
      channel: register.channel,
      table: register.table,
      address: register.address,
      type: register.type ?? (isBitTable(register.table) ? 'boolean' : 'uint16'),
      wordOrder: register.wordOrder ?? 'big',
      scale: register.scale ?? 1,
      offset: register.offset ?? 0,
      unit: register.unit ?? '1',
    })),
  };
}

type Problem = { path: string; message: string };

/** A poll interval, timeout or reconnect delay below its floor (see the constants above for why). */
function durationProblems(device: ModbusDevice, at: string): Problem[] {
  const problems: Problem[] = [];
  if (device.timeout !== undefined && durationMs(device.timeout) < MIN_TIMEOUT_MS)
    problems.push({
      path: `${at}/timeout`,
      message: `${device.timeout} is below the minimum of ${MIN_TIMEOUT_MS}ms: a timeout of 0 waits forever for a silent device, and a shorter one fails healthy answers; write e.g. 500ms (the default is 1s)`,
    });
  if (device.pollInterval !== undefined && durationMs(device.pollInterval) < MIN_POLL_INTERVAL_MS)
    problems.push({
      path: `${at}/pollInterval`,
      message: `${device.pollInterval} is below the minimum of ${MIN_POLL_INTERVAL_MS}ms: a shorter interval floods the device with requests without fresher values; write e.g. 1s (the default)`,
    });
  if (device.reconnectMaxDelay !== undefined && durationMs(device.reconnectMaxDelay) < RECONNECT_INITIAL_MS)
    problems.push({
      path: `${at}/reconnectMaxDelay`,
      message: `${device.reconnectMaxDelay} is below the first retry's ${RECONNECT_INITIAL_MS}ms: a dead device would be retried in a tight loop; write e.g. 10s (the default)`,
    });
  return problems;
}

/** What the schema cannot say about one register mapping, with the path of the offending field. */
function registerProblems(register: ModbusRegisterMapping, at: string): Problem[] {
  const problems: Problem[] = [];
  const bits = isBitTable(register.table);
  const type = register.type ?? (bits ? 'boolean' : 'uint16');
  if (bits && type !== 'boolean')
    problems.push({
      path: `${at}/type`,
      message: `${register.table === 'coil' ? 'a coil' : 'a discrete input'} holds one bit: its type must be boolean (got ${type})`,
    });
  if (!bits && type === 'boolean')
    problems.push({
      path: `${at}/type`,
      message: `${register.table === 'input' ? 'an input' : 'a holding'} register holds 16 bits: use int16, uint16, int32, uint32 or float32, or table: coil | discrete for a bit`,
    });
  const words = WORDS_PER_TYPE[type];
  if (register.address < 0 || register.address + words - 1 > 65535)
    problems.push({
      path: `${at}/address`,
      message:
        words > 1
          ? `a ${type} takes ${words} registers from its address, so the address must lie within 0-${65536 - words} (got ${register.address})`
          : `must lie within 0-65535 (got ${register.address}); give the 0-based protocol address (40041 in 4xxxx notation is holding address 40)`,
    });
  if (register.wordOrder !== undefined && words === 1)
    problems.push({
      path: `${at}/wordOrder`,
      message: `a ${type} is one register: wordOrder applies to int32, uint32 and float32 only`,
    });
  if (register.scale === 0)
    problems.push({ path: `${at}/scale`, message: 'a scale of 0 turns every value into the offset' });
  return problems;
}

/**
 * What the schema cannot say, with the path of the offending field: ids unique among all sources,
 * a timeout and poll interval above their floors, register types that fit their table and the address space, and each asset channel fed once (by
 * Modbus or by an OPC-UA node: `takenChannels` maps `asset/channel` to the path already feeding it).
 */
export function modbusDeviceProblems(
  devices: ModbusDevice[],
  reservedIds: readonly string[],
  takenChannels: ReadonlyMap<string, string> = new Map(),
): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set(reservedIds);
  const targets = new Map(takenChannels);
  devices.forEach((device, d) => {
    const at = `modbus/${d}`;
    if (ids.has(device.id))
      problems.push({ path: `${at}/id`, message: `source id '${device.id}' is already used` });
    ids.add(device.id);
    problems.push(...durationProblems(device, at));
    const longest = Math.max(...device.registers.map((r) => WORDS_PER_TYPE[r.type ?? 'uint16']));
    if ((device.maxRegistersPerRequest ?? 100) < longest)
      problems.push({
        path: `${at}/maxRegistersPerRequest`,
        message: `a 32-bit value takes 2 registers, so one read must be allowed at least 2 (got ${device.maxRegistersPerRequest})`,
      });
    device.registers.forEach((register, r) => {
      const registerAt = `${at}/registers/${r}`;
      problems.push(...registerProblems(register, registerAt));
      const target = `${register.assetId}/${register.channel}`;
      const previous = targets.get(target);
      if (previous)
        problems.push({
          path: `${registerAt}/channel`,
          message: `asset ${register.assetId} channel ${register.channel} is already fed by ${previous}`,
        });
      targets.set(target, registerAt);
    });
  });
  return problems;
}
