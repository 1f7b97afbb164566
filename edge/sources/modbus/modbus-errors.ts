import { ConnectionClosedError } from './modbus-connection.js';
import type { ReadBlock } from './modbus-requests.js';

/** A failed request or connection: a short reason for the metrics, and what to do, for the operator. */
export interface ModbusFailure {
  reason: string;
  message: string;
  /** The connection is unusable: close it and reconnect (a timeout or an exception leaves it usable). */
  connectionLost: boolean;
}

/** Modbus Application Protocol V1.1b3, section 7: the exception codes a device may answer with. */
const EXCEPTIONS: Record<number, { reason: string; words: string; hint: string }> = {
  1: {
    reason: 'illegal_function',
    words: 'illegal function',
    hint: 'the device does not serve this table; check table (holding, input, coil, discrete)',
  },
  2: {
    reason: 'illegal_address',
    words: 'illegal data address',
    hint: "the device has no such register; check address against the device's register map (0-based)",
  },
  3: { reason: 'illegal_value', words: 'illegal data value', hint: 'the device refuses this read length' },
  4: {
    reason: 'device_failure',
    words: 'server device failure',
    hint: 'the device reports an internal fault',
  },
  5: { reason: 'acknowledge', words: 'acknowledge', hint: 'the device is busy with a long operation' },
  6: {
    reason: 'device_busy',
    words: 'server device busy',
    hint: 'the device is busy; it is asked again next poll',
  },
  10: {
    reason: 'gateway_path_unavailable',
    words: 'gateway path unavailable',
    hint: 'the Modbus gateway has no route to this unit id; check unitId and the gateway config',
  },
  11: {
    reason: 'gateway_target_no_response',
    words: 'gateway target device failed to respond',
    hint: 'the serial device behind the gateway does not answer; check its wiring, power and unitId',
  },
};

interface LibraryError {
  message?: string;
  errno?: string;
  code?: string;
  modbusCode?: number;
}

const TABLE_WORDS = { holding: 'holding', input: 'input', coil: 'coil', discrete: 'discrete input' };

export const describeBlock = (block: ReadBlock): string =>
  `${TABLE_WORDS[block.table]} ${block.start}${block.length > 1 ? `-${block.start + block.length - 1}` : ''}`;

/** A read that failed: an exception answer, a timeout, or a connection that went away under it. */
export function describeReadFailure(
  error: unknown,
  block: ReadBlock,
  device: { host: string; port: number; unitId: number; timeoutMs: number },
): ModbusFailure {
  const e = (error ?? {}) as LibraryError;
  const where = `${describeBlock(block)} of unit ${device.unitId} at ${device.host}:${device.port}`;
  if (typeof e.modbusCode === 'number') {
    const known = EXCEPTIONS[e.modbusCode];
    return {
      reason: known?.reason ?? `exception_${e.modbusCode}`,
      message: `${where}: Modbus exception ${e.modbusCode} (${known?.words ?? 'unknown exception'})${known ? `: ${known.hint}` : ''}`,
      connectionLost: false,
    };
  }
  if (e.errno === 'ETIMEDOUT' || e.message === 'Timed out') {
    return {
      reason: 'timeout',
      message: `${where} got no answer within ${device.timeoutMs / 1000} s: is the device responding and the unitId right?`,
      connectionLost: false,
    };
  }
  if (error instanceof ConnectionClosedError || e.message === 'Port Not Open')
    return {
      reason: 'connection_lost',
      message: `${where}: the connection was lost (${e.message ?? String(error)})`,
      connectionLost: true,
    };
  // The library checks each answer's length, unit id and function code: a garbled or foreign answer.
  return {
    reason: 'bad_answer',
    message: `${where}: the answer does not fit the request (${e.message ?? String(error)}); is another client or a gateway mixing up answers?`,
    connectionLost: false,
  };
}

/** A connection attempt that failed, in words an operator can act on. */
export function describeConnectFailure(
  error: unknown,
  device: { host: string; port: number; timeoutMs: number },
): ModbusFailure {
  const e = (error ?? {}) as LibraryError;
  const at = `${device.host}:${device.port}`;
  const code = e.code ?? e.errno ?? '';
  const text = e.message ?? String(error);
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text))
    return {
      reason: 'connection_refused',
      message: `connection refused at ${at}: is the device on and is the port right?`,
      connectionLost: true,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return {
      reason: 'host_not_found',
      message: `the host ${device.host} cannot be resolved: check host in the modbus device config`,
      connectionLost: true,
    };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return {
      reason: 'host_unreachable',
      message: `${at} is unreachable (${code}): check the network route to the device`,
      connectionLost: true,
    };
  if (code === 'ETIMEDOUT' || /timed out/i.test(text))
    return {
      reason: 'connect_timeout',
      message: `no connection to ${at} within ${device.timeoutMs / 1000} s: is the device reachable (network, firewall)?`,
      connectionLost: true,
    };
  return { reason: 'connect_failed', message: `cannot connect to ${at}: ${text}`, connectionLost: true };
}
