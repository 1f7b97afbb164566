import type { Logger } from 'pino';
import type { OpcuaServerConfig } from './opcua-server-config.js';
import type { ConditionSource } from './opcua-server.js';

/**
 * Starts the findings server when `opcuaServer` is enabled. node-opcua is large and slow to load:
 * only agents that serve OPC-UA pay for it. Returns what stops it (nothing to stop when disabled).
 */
export async function startOpcuaServerSink(
  config: OpcuaServerConfig,
  source: ConditionSource,
  logger: Logger,
): Promise<{ endpointUrl?: string; stop(): Promise<void> }> {
  if (!config.enabled) return { stop: async () => {} };
  const { startOpcuaServer } = await import('./opcua-server.js');
  return startOpcuaServer(config, source, logger);
}
