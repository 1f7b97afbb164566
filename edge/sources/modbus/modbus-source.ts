import type { Logger } from 'pino';
import { backoffDelayMs } from '../../../shared/backoff.js';
import type { Reading } from '../../../shared/schema/index.js';
import type { MeasurementSink, Source, SourceHealth } from '../source.js';
import type { ModbusDeviceConfig, ModbusRegisterConfig } from './modbus-config.js';
import { ModbusConnection } from './modbus-connection.js';
import {
  describeBlock,
  describeConnectFailure,
  describeReadFailure,
  type ModbusFailure,
} from './modbus-errors.js';
import { planReads, type ReadBlock } from './modbus-requests.js';
import { decodeRegisters, engineeringValue } from './modbus-values.js';

/**
 * Polls one Modbus TCP device for as long as the agent runs, on its own connection and its own
 * clock, so a dead device never delays another. It starts without waiting for the device, and a
 * refused or lost connection ends in a fresh one after a capped exponential backoff, the device's
 * channels reading bad meanwhile.
 */
export class ModbusSource implements Source {
  readonly id: string;
  private readonly state: SourceHealth;
  private readonly blocks: ReadBlock[];
  private readonly endpoint: string;
  private running = false;
  private connection?: ModbusConnection;
  private wakeUp?: () => void;
  private loop?: Promise<void>;
  /** Failed requests and connection attempts since start, by reason. */
  private readonly errors = new Map<string, number>();
  /** Each block's current failure reason: logged when it changes, not on every poll. */
  private readonly blockReasons = new Map<ReadBlock, string>();
  /**
   * The channels were marked bad for the connection being down: once per outage, not per retry, so
   * a device down for an hour sends one bad reading per channel, not one per backoff step.
   */
  private outageMarked = false;

  constructor(
    private readonly config: ModbusDeviceConfig,
    private readonly logger: Logger,
  ) {
    this.id = config.id;
    this.endpoint = `modbus-tcp://${config.host}:${config.port}/${config.unitId}`;
    this.blocks = planReads(config.registers, config);
    this.state = {
      id: config.id,
      kind: 'modbus',
      endpoint: this.endpoint,
      state: 'starting',
      accepted: 0,
      rejected: 0,
      connects: 0,
    };
  }

  health(): SourceHealth {
    return { ...this.state, modbusErrors: Object.fromEntries(this.errors) };
  }

  async start(sink: MeasurementSink): Promise<void> {
    this.running = true;
    this.state.state = 'connecting';
    this.loop = this.superviseConnection(sink);
  }

  private async superviseConnection(sink: MeasurementSink): Promise<void> {
    let failures = 0;
    while (this.running) {
      const connection = new ModbusConnection(this.config);
      this.connection = connection;
      let problem: ModbusFailure;
      try {
        await connection.open();
        this.connected();
        problem = await this.pollUntilLost(connection, sink, () => {
          failures = 0;
        });
      } catch (error) {
        problem = describeConnectFailure(error, this.config);
      }
      await connection.close();
      if (!this.running) break;
      this.failed(problem);
      this.markOutage(sink);
      this.state.state = (this.state.connects ?? 0) > 0 ? 'reconnecting' : 'connecting';
      await this.pause(backoffDelayMs(this.config.reconnect, failures));
      failures++;
    }
  }

  private connected(): void {
    this.state.connects = (this.state.connects ?? 0) + 1;
    this.state.lastConnectedAt = new Date().toISOString();
    this.state.state = 'connected';
    this.outageMarked = false;
    this.logger.info({ source: this.id, endpoint: this.endpoint }, `Modbus device ${this.id} connected`);
  }

  /** Counts a connection failure, and logs it when it is news. */
  private failed(problem: ModbusFailure): void {
    this.count(problem.reason);
    if (problem.message !== this.state.lastError)
      this.logger.warn(
        { source: this.id, endpoint: this.endpoint, reason: problem.reason },
        `Modbus device ${this.id}: ${problem.message}`,
      );
    this.state.lastError = problem.message;
  }

  /**
   * A refused, failed or lost connection makes every channel a bad-quality reading, so no value read
   * before the outage stands as current and a device down at boot reads as bad, not just silent; the
   * failure's own reason (`connection_refused`, …) is counted by failed(). A connection that was up
   * and went away says `connection_lost`: its source is offline, which a `noData` rule takes as
   * unknown (edge/rules/source-offline.ts). A device never reached since start says no more than
   * bad: its channels still raise `sensor_fault` after `noData`, so a wrong host or port set up at
   * commissioning is not hidden as an outage.
   */
  private markOutage(sink: MeasurementSink): void {
    if (this.outageMarked) return;
    this.outageMarked = true;
    const ts = Date.now();
    const qualityReason = (this.state.connects ?? 0) > 0 ? 'connection_lost' : undefined;
    for (const register of this.config.registers)
      this.deliver(sink, register, { value: Number.NaN, quality: 'bad', qualityReason }, ts);
  }

  /**
   * Reads every block each poll interval until the connection is lost, or until a whole poll got no
   * answer at all (a device that stopped answering; a fresh connection is tried after a backoff).
   */
  private async pollUntilLost(
    connection: ModbusConnection,
    sink: MeasurementSink,
    answered: () => void,
  ): Promise<ModbusFailure> {
    while (this.running) {
      const started = Date.now();
      let answers = 0;
      let lastFailure: ModbusFailure | undefined;
      for (const block of this.blocks) {
        try {
          const words = await connection.read(block);
          answers++;
          this.delivered(sink, block, words, Date.now());
        } catch (error) {
          const failure = describeReadFailure(error, block, this.config);
          if (failure.connectionLost || !this.running) return failure;
          lastFailure = failure;
          this.blockFailed(sink, block, failure, Date.now());
        }
      }
      if (answers === 0 && lastFailure?.reason === 'timeout') {
        const { host, port, unitId, timeoutMs } = this.config;
        return {
          reason: 'no_answer',
          message: `unit ${unitId} at ${host}:${port} answered no request within ${timeoutMs / 1000} s: is the device responding and the unitId right? Reconnecting`,
          connectionLost: true,
        };
      }
      if (answers > 0) answered();
      // What is wrong now: a block that keeps failing stays the source's error while the others answer.
      if (lastFailure) this.state.lastError = lastFailure.message;
      else delete this.state.lastError;
      await this.pause(Math.max(0, started + this.config.pollIntervalMs - Date.now()));
    }
    return { reason: 'stopped', message: 'stopped', connectionLost: true };
  }

  private delivered(sink: MeasurementSink, block: ReadBlock, words: number[], ts: number): void {
    if (this.blockReasons.delete(block))
      this.logger.info(
        { source: this.id, endpoint: this.endpoint },
        `Modbus device ${this.id}: ${describeBlock(block)} answers again`,
      );
    for (const register of block.registers) {
      let raw: number;
      try {
        raw = decodeRegisters(words, register.address - block.start, register);
      } catch (error) {
        // A device that answered with fewer registers than asked for: its fault, not a reason to stop.
        const detail = `${describeBlock(block)}: ${(error as Error).message}`;
        this.valueRefused(sink, register, 'short_answer', detail, ts);
        continue;
      }
      const value = engineeringValue(raw, register);
      if (!Number.isFinite(value)) {
        const detail = `decodes to ${value} (${register.type} ${words.join(' ')})`;
        this.valueRefused(sink, register, 'not_finite', detail, ts);
        continue;
      }
      this.deliver(sink, register, { value, quality: 'good' }, ts);
    }
  }

  /** The block's channels become bad-quality readings: rules take them as unknown, never as a fault. */
  private blockFailed(sink: MeasurementSink, block: ReadBlock, failure: ModbusFailure, ts: number): void {
    this.count(failure.reason);
    if (this.blockReasons.get(block) !== failure.reason) {
      this.blockReasons.set(block, failure.reason);
      this.logger.warn(
        { source: this.id, endpoint: this.endpoint, reason: failure.reason },
        `Modbus device ${this.id}: ${failure.message}; its channels read as bad quality until it answers`,
      );
    }
    for (const register of block.registers)
      this.deliver(sink, register, { value: Number.NaN, quality: 'bad' }, ts);
  }

  /**
   * A value the device sent but that is no measurement (a NaN a broken sensor reports, a short answer):
   * rejected and counted, and the channel reads bad so its previous value does not stand as current.
   */
  private valueRefused(
    sink: MeasurementSink,
    register: ModbusRegisterConfig,
    reason: string,
    detail: string,
    ts: number,
  ): void {
    this.reject(sink, register, reason, detail);
    this.deliver(sink, register, { value: Number.NaN, quality: 'bad' }, ts);
  }

  private deliver(
    sink: MeasurementSink,
    register: ModbusRegisterConfig,
    { value, quality, qualityReason }: Pick<Reading, 'value' | 'qualityReason'> & { quality: 'good' | 'bad' },
    ts: number,
  ): void {
    const { assetId, channel, unit } = register;
    try {
      sink.reading({ ts, assetId, channel, value, unit, quality, ...(qualityReason && { qualityReason }) });
    } catch (error) {
      this.reject(sink, register, 'unprocessable', (error as Error).message);
      return;
    }
    if (quality !== 'good') return;
    this.state.accepted++;
    this.state.lastMessageAt = new Date(ts).toISOString();
  }

  private reject(
    sink: MeasurementSink,
    register: ModbusRegisterConfig,
    reason: string,
    detail: string,
  ): void {
    this.state.rejected++;
    const where = `${this.endpoint} ${register.table} ${register.address} (${register.assetId}/${register.channel})`;
    sink.rejected({ source: this.id, where, reason, detail });
  }

  private count(reason: string): void {
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }

  /** A wait that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.state.state = 'stopped';
    this.wakeUp?.();
    await this.connection?.close();
    await this.loop;
  }
}
