import modbusSerial from 'modbus-serial';
import type { ModbusDeviceConfig, ModbusTable } from './modbus-config.js';
import type { ReadBlock } from './modbus-requests.js';

/** The connection closed under a request: not an answer from the device. */
export class ConnectionClosedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConnectionClosedError';
  }
}

// The package is CommonJS: its class is module.exports, and also its `default`, which is what the types say.
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

const READS: Record<ModbusTable, (client: Client, start: number, length: number) => Promise<number[]>> = {
  holding: async (client, start, length) => (await client.readHoldingRegisters(start, length)).data,
  input: async (client, start, length) => (await client.readInputRegisters(start, length)).data,
  coil: async (client, start, length) =>
    (await client.readCoils(start, length)).data.map((bit) => (bit ? 1 : 0)),
  discrete: async (client, start, length) =>
    (await client.readDiscreteInputs(start, length)).data.map((bit) => (bit ? 1 : 0)),
};

/**
 * One TCP connection to a Modbus device (modbus-serial's client). It never repairs itself: when the
 * socket closes, `closed` resolves and every request in flight fails at once, so the source can
 * reconnect instead of waiting out a timeout per request (the library forgets requests it was
 * waiting for when its socket goes away).
 */
export class ModbusConnection {
  /** Resolves with the reason once the connection is gone. */
  readonly closed: Promise<string>;
  private closeWith!: (reason: string) => void;
  private isClosed = false;
  private readonly client: Client = new ModbusRTU();

  constructor(private readonly device: ModbusDeviceConfig) {
    this.closed = new Promise((resolve) => {
      this.closeWith = (reason) => {
        this.isClosed = true;
        resolve(reason);
      };
    });
    // Socket errors also arrive as rejected requests or a close; without a listener they would throw.
    this.client.on('error', () => undefined);
    this.client.on('close', () => this.closeWith('the device closed the connection'));
  }

  /** Connects within the device's timeout; throws the socket's error (ECONNREFUSED, …) otherwise. */
  async open(): Promise<void> {
    const { host, port, unitId, timeoutMs } = this.device;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.client.connectTCP(host, { port, timeout: timeoutMs }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.client.setID(unitId);
    this.client.setTimeout(timeoutMs);
  }

  /** The block's registers as 16-bit words (bits as 0 or 1); rejects with the library's error. */
  async read(block: ReadBlock): Promise<number[]> {
    if (this.isClosed) throw new ConnectionClosedError('the connection is closed');
    const closed = this.closed.then((reason) => {
      throw new ConnectionClosedError(reason);
    });
    return Promise.race([READS[block.table](this.client, block.start, block.length), closed]);
  }

  close(): Promise<void> {
    this.closeWith('closed by the agent');
    return new Promise((resolve) => {
      try {
        this.client.destroy(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
