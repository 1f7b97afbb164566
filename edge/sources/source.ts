import type { Reading, Waveform } from '../../shared/schema/index.js';

/** `connecting`: never connected yet, still trying (a broker not up yet); `reconnecting`: lost, trying again. */
export type SourceState = 'starting' | 'connecting' | 'connected' | 'reconnecting' | 'stopped' | 'failed';

export interface SourceHealth {
  id: string;
  kind: 'mqtt' | 'opcua' | 'sparkplug' | 'modbus' | 'replay';
  state: SourceState;
  /** Messages accepted and rejected since start. */
  accepted: number;
  rejected: number;
  lastMessageAt?: string;
  lastError?: string;
  /** Where the source reads from, when it is a server of its own (OPC-UA, Modbus). */
  endpoint?: string;
  /** Successful connections since start: more than one means it reconnected. */
  connects?: number;
  lastConnectedAt?: string;
  /** Subscriptions the watchdog re-created because they went silent. */
  subscriptionRecreations?: number;
  /** Values stamped with their arrival time because their own timestamps were implausible (OPC-UA). */
  timestampFallbacks?: number;
  /** Mapped nodes the server cannot deliver (unknown id, no browse-path match). */
  nodeProblems?: string[];
  /** Rebirth requests (NCMD) sent to Sparkplug edge nodes since start. */
  rebirthRequests?: number;
  /** Sparkplug payloads that did not decode or named an alias no birth declared. */
  badPayloads?: number;
  /** Distinct Sparkplug metrics seen in births that no mapping names (ignored). */
  unmappedMetrics?: number;
  /** Sparkplug edge nodes (`group/edgeNode`) alive now: born, not dead since. */
  edgeNodes?: string[];
  /** Failed Modbus requests and connection attempts since start, by reason (`illegal_address`, `timeout`, …). */
  modbusErrors?: Record<string, number>;
}

/** Where a source delivers what it reads. Rejections carry where they came from, for the operator. */
export interface MeasurementSink {
  /**
   * `refuse`: how the source itself refuses this waveform when its analysis finds a NaN or an
   * Infinity among the samples (a source that checked them before delivering passes none).
   */
  waveform(waveform: Waveform, refuse?: (index: number, value: number) => void): void;
  reading(reading: Reading): void;
  rejected(rejection: { source: string; where: string; reason: string; detail: string }): void;
}

/** The agent knows a source only through this: start, stop, health. */
export interface Source {
  readonly id: string;
  start(sink: MeasurementSink): Promise<void>;
  stop(): Promise<void>;
  health(): SourceHealth;
}
