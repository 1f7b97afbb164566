import modbusSerial from 'modbus-serial';
import type { ModbusTable } from '../../edge/sources/modbus/modbus-config.js';
import { encodeRegisters } from '../../edge/sources/modbus/modbus-values.js';
import { freeLoopbackPort } from '../free-port.js';
import { seededRandom } from '../seeded-random.js';
import {
  DEFAULT_DRIVE_RAMP_S,
  DRIVE_REGISTERS,
  DRIVE_TABLE_SIZE,
  type DriveScenario,
  type DriveState,
  driveStateAt,
} from './pump-drive.js';

export interface ModbusSimulatorOptions {
  host?: string;
  /** 0: a free port, reported in `port`. */
  port: number;
  scenario?: DriveScenario;
  rampS?: number;
  /** Simulated seconds per real second. */
  speed?: number;
  seed?: number;
  /** Addresses answered with exception 2 (illegal data address), as a device without that register. */
  exceptions?: { table: ModbusTable; address: number }[];
  /** Called on every state update (every 100 ms of real time). */
  onUpdate?: (update: { simulatedS: number; progress: number; state: DriveState }) => void;
}

export interface ModbusSimulator {
  host: string;
  port: number;
  /** `modbus-tcp://host:port`, for people; the agent's config takes host and port. */
  endpoint: string;
  /** While true, requests are read but never answered (the socket stays open): a hung device. */
  silent: boolean;
  /**
   * Holds registers from `address` at these words whatever the drive does: what a device sends for a
   * broken sensor (a float32 NaN is 0x7fc0 0x0000), to see how the agent takes it.
   */
  pinWords(table: 'holding' | 'input', address: number, words: number[]): void;
  /** The drive's state now. */
  state(): DriveState;
  stop(): Promise<void>;
}

const UPDATE_MS = 100;

type Tables = Record<ModbusTable, number[]>;

const emptyTables = (): Tables => ({
  holding: new Array<number>(DRIVE_TABLE_SIZE).fill(0),
  input: new Array<number>(DRIVE_TABLE_SIZE).fill(0),
  coil: new Array<number>(DRIVE_TABLE_SIZE).fill(0),
  discrete: new Array<number>(DRIVE_TABLE_SIZE).fill(0),
});

/** The drive's state written into its tables, each value encoded as the register map says. */
function writeTables(tables: Tables, state: DriveState): void {
  for (const register of DRIVE_REGISTERS) {
    const value = register.value(state);
    const words =
      register.type === 'boolean'
        ? [value ? 1 : 0]
        : encodeRegisters(value, register.type, register.wordOrder);
    words.forEach((word, i) => {
      tables[register.table][register.address + i] = word;
    });
  }
}

/**
 * A pump drive as a Modbus TCP server (modbus-serial's ServerTCP) on loopback: holding registers for
 * current, speed, bearing temperature and run time, an input register for pressure, a running coil
 * and an overtemperature discrete input. Any unit id is answered.
 */
export async function startModbusSimulator(options: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const host = options.host ?? '127.0.0.1';
  // ServerTCP takes port 0 as "the default 502": a free port is chosen here instead.
  const port = options.port || (await freeLoopbackPort());
  const scenario = options.scenario ?? 'normal';
  const rampS = options.rampS ?? DEFAULT_DRIVE_RAMP_S;
  const speed = options.speed ?? 1;
  const random = seededRandom(options.seed ?? 1);
  const failing = new Set((options.exceptions ?? []).map((e) => `${e.table}:${e.address}`));
  const tables = emptyTables();
  const pinned = new Map<string, number>();
  const startedAt = Date.now();
  let state = driveStateAt(scenario, 0, rampS, random);
  writeTables(tables, state);
  const update = () => {
    const simulatedS = ((Date.now() - startedAt) / 1000) * speed;
    state = driveStateAt(scenario, simulatedS, rampS, random);
    writeTables(tables, state);
    options.onUpdate?.({ simulatedS, progress: rampS > 0 ? Math.min(1, simulatedS / rampS) : 1, state });
  };
  const timer = setInterval(update, UPDATE_MS);

  const simulator: ModbusSimulator = {
    host,
    port,
    endpoint: `modbus-tcp://${host}:${port}`,
    silent: false,
    pinWords: (table, address, words) =>
      words.forEach((word, i) => pinned.set(`${table}:${address + i}`, word)),
    state: () => state,
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** The answer to a read of one address, as the device gives it; undefined while silent (no answer). */
  const answer = (table: ModbusTable, address: number): { error: Error | null; word: number } | undefined => {
    if (simulator.silent) return undefined;
    if (failing.has(`${table}:${address}`) || address >= DRIVE_TABLE_SIZE)
      return {
        error: Object.assign(new Error(`no ${table} register ${address}`), { modbusErrorCode: 2 }),
        word: 0,
      };
    return { error: null, word: pinned.get(`${table}:${address}`) ?? tables[table][address] ?? 0 };
  };
  // Three parameters: the callback form, the one that lets a silent device never answer.
  const registers =
    (table: 'holding' | 'input') =>
    (address: number, _unitId: number, callback: (error: Error | null, value: number) => void) => {
      const result = answer(table, address);
      if (result) callback(result.error, result.word);
    };
  const bits =
    (table: 'coil' | 'discrete') =>
    (address: number, _unitId: number, callback: (error: Error | null, value: boolean) => void) => {
      const result = answer(table, address);
      if (result) callback(result.error, result.word === 1);
    };

  const server = new modbusSerial.ServerTCP(
    {
      getHoldingRegister: registers('holding'),
      getInputRegister: registers('input'),
      getCoil: bits('coil'),
      getDiscreteInput: bits('discrete'),
    },
    { host, port, unitID: 255 },
  );
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', (error) => {
      clearInterval(timer);
      reject(
        new Error(
          `the Modbus simulator cannot listen on ${host}:${port}: ${(error as Error | null)?.message ?? 'unknown error'}; choose another --port (0 = any free port)`,
        ),
      );
    });
  });
  // A client that goes away mid-request resets its socket; that is the client's business, not a failure here.
  server.on('socketError', () => undefined);
  server.on('error', () => undefined);
  return simulator;
}
