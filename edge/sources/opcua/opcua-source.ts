import type { Logger } from 'pino';
import type { Reading } from '../../../shared/schema/index.js';
import { backoffDelayMs } from '../../../shared/backoff.js';
import type { MeasurementSink, Source, SourceHealth } from '../source.js';
import { DEFAULT_TIME_WINDOW, type TimeWindow } from '../plausible-time.js';
import { HeldValues } from './held-values.js';
import { keepAlivePeriodMs, type OpcuaEndpointConfig, type OpcuaNodeConfig } from './opcua-config.js';
import { describeOpcuaError } from './opcua-errors.js';
import { routeOpcuaLibraryLogs } from './opcua-library-logs.js';
import { OpcuaSession } from './opcua-session.js';
import { convertDataValue } from './opcua-values.js';

/**
 * Reads one OPC-UA endpoint for as long as the agent runs. It starts without waiting for the server
 * (a gateway often boots before its PLC), and every failure (refused connection, server restart,
 * dead session, silent subscription) ends in a fresh connection after a short backoff.
 */
export class OpcuaSource implements Source {
  readonly id: string;
  private readonly state: SourceHealth;
  private running = false;
  private session?: OpcuaSession;
  private wakeUp?: () => void;
  private loop?: Promise<void>;
  private readonly nodeProblems = new Map<OpcuaNodeConfig, string>();

  /** Nodes whose timestamps are implausible right now: reported once, not on every value. */
  private readonly badClocks = new Set<OpcuaNodeConfig>();

  constructor(
    private readonly config: OpcuaEndpointConfig,
    private readonly logger: Logger,
    private readonly timeWindow: TimeWindow = DEFAULT_TIME_WINDOW,
  ) {
    this.id = config.id;
    this.state = {
      id: config.id,
      kind: 'opcua',
      endpoint: config.url,
      state: 'starting',
      accepted: 0,
      rejected: 0,
      connects: 0,
      subscriptionRecreations: 0,
      timestampFallbacks: 0,
    };
    // The source reports each failure itself in plain words; the library's own lines are for debugging.
    routeOpcuaLibraryLogs((level, text) => logger.debug({ component: 'node-opcua', level }, text));
  }

  health(): SourceHealth {
    return { ...this.state, nodeProblems: [...this.nodeProblems.values()] };
  }

  async start(sink: MeasurementSink): Promise<void> {
    this.running = true;
    this.loop = this.superviseConnections(sink);
  }

  private async superviseConnections(sink: MeasurementSink): Promise<void> {
    const { url, pkiDir, reconnect } = this.config;
    let failures = 0;
    while (this.running) {
      // Held current only by the connection that delivered them: a dead one lets them go stale.
      const held = new HeldValues<OpcuaNodeConfig>(keepAlivePeriodMs(this.config));
      const session = new OpcuaSession(this.config, {
        value: (node, dataValue) => {
          const now = Date.now();
          const converted = convertDataValue(node, dataValue, now, this.timeWindow);
          this.checkClock(node, converted.kind === 'rejected' ? undefined : converted.timestampProblem);
          if (converted.kind !== 'reading') return this.deliver(sink, node, converted);
          const reading = held.received(node, converted.reading, now);
          if (reading) this.deliver(sink, node, { kind: 'reading', reading });
        },
        alive: () => {
          for (const reading of held.confirmed(Date.now())) this.refresh(sink, reading);
        },
        nodeProblem: (node, problem) => this.reportNodeProblem(sink, node, problem),
        subscriptionRecreated: (reason) => {
          this.state.subscriptionRecreations = (this.state.subscriptionRecreations ?? 0) + 1;
          this.logger.warn({ source: this.id, url, reason }, `OPC-UA subscription re-created: ${reason}`);
        },
      });
      this.session = session;
      try {
        this.nodeProblems.clear();
        await session.open();
        failures = 0;
        this.state.connects = (this.state.connects ?? 0) + 1;
        this.state.lastConnectedAt = new Date().toISOString();
        this.state.state = 'connected';
        delete this.state.lastError;
        this.logger.info(
          { source: this.id, url, mode: this.config.mode, security: this.config.securityMode },
          `OPC-UA source ${this.id} connected to ${url}`,
        );
        const reason = await session.broken;
        if (this.running) {
          this.state.lastError = reason;
          this.logger.warn(
            { source: this.id, url, reason },
            `OPC-UA source ${this.id} lost ${url}: ${reason}`,
          );
        }
      } catch (error) {
        if (!this.running) break; // stop() closed the connection under a connect in progress
        const problem = describeOpcuaError(error, { url, pkiDir });
        if (problem !== this.state.lastError) {
          this.logger.error({ source: this.id, url, problem }, `OPC-UA source ${this.id}: ${problem}`);
        }
        this.state.lastError = problem;
        failures++;
      }
      held.clear();
      await session.close();
      if (!this.running) break;
      this.state.state = 'reconnecting';
      await this.pause(backoffDelayMs(reconnect, failures));
    }
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

  private deliver(
    sink: MeasurementSink,
    node: OpcuaNodeConfig,
    converted: ReturnType<typeof convertDataValue>,
  ) {
    const where = `${this.config.url} ${node.nodeId ?? node.browsePath} (${node.assetId}/${node.channel})`;
    try {
      if (converted.kind === 'rejected') {
        this.state.rejected++;
        sink.rejected({ source: this.id, where, reason: converted.reason, detail: converted.detail });
        return;
      }
      if (converted.kind === 'reading') sink.reading(converted.reading);
      else sink.waveform(converted.waveform);
    } catch (error) {
      // A value the analysis cannot use (e.g. a waveform too short for a spectrum) is bad input too.
      this.state.rejected++;
      sink.rejected({ source: this.id, where, reason: 'unprocessable', detail: (error as Error).message });
      return;
    }
    this.state.accepted++;
    this.state.lastMessageAt = new Date().toISOString();
  }

  /** Counts each value stamped with another time for want of a plausible one of its own; logs once per node. */
  private checkClock(node: OpcuaNodeConfig, timestampProblem: string | undefined): void {
    if (!timestampProblem) {
      this.badClocks.delete(node);
      return;
    }
    this.state.timestampFallbacks = (this.state.timestampFallbacks ?? 0) + 1;
    if (this.badClocks.has(node)) return;
    this.badClocks.add(node);
    const where = `${this.config.url} ${node.nodeId ?? node.browsePath} (${node.assetId}/${node.channel})`;
    this.logger.warn(
      { source: this.id, where, reason: 'implausible_timestamp', detail: timestampProblem },
      `OPC-UA ${where}: ${timestampProblem}; its values are stamped with the server time or the time they arrive until its timestamps are plausible again`,
    );
  }

  /** A held value confirmed by the server: the same reading at a later time, not a new message. */
  private refresh(sink: MeasurementSink, reading: Reading): void {
    try {
      sink.reading(reading);
    } catch (error) {
      this.logger.warn(
        { source: this.id, asset: reading.assetId, channel: reading.channel, err: (error as Error).message },
        `OPC-UA source ${this.id}: refreshing the held value of ${reading.assetId}/${reading.channel} failed: ${(error as Error).message}`,
      );
    }
  }

  private reportNodeProblem(sink: MeasurementSink, node: OpcuaNodeConfig, problem: string): void {
    this.nodeProblems.set(node, `${node.assetId}/${node.channel}: ${problem}`);
    sink.rejected({
      source: this.id,
      where: `${this.config.url} ${node.nodeId ?? node.browsePath} (${node.assetId}/${node.channel})`,
      reason: 'node_unavailable',
      detail: problem,
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.state.state = 'stopped';
    this.wakeUp?.();
    await this.session?.close();
    await this.loop;
  }
}
