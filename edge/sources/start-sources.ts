import type { Logger } from 'pino';
import { Shutdown } from '../shutdown.js';
import type { InProcessBroker } from './mqtt/embedded-broker.js';
import type { MqttConfig } from './mqtt/mqtt-config.js';
import { brokerConnectOptions } from './mqtt/mqtt-connection.js';
import { MqttSource } from './mqtt/mqtt-source.js';
import type { ModbusDeviceConfig } from './modbus/modbus-config.js';
import type { OpcuaEndpointConfig } from './opcua/opcua-config.js';
import type { TimeWindow } from './plausible-time.js';
import type { MeasurementSink, Source } from './source.js';
import type { SparkplugConfig } from './sparkplug/sparkplug-config.js';

/** The parts of the edge config that name sources. */
export interface SourcesConfig {
  gatewayId: string;
  mqtt: MqttConfig;
  opcua: OpcuaEndpointConfig[];
  sparkplug: SparkplugConfig;
  modbus: ModbusDeviceConfig[];
  /** The window a measurement's own timestamp must fall in. */
  input: TimeWindow;
}

export interface StartedSources {
  readonly list: readonly Source[];
  /** Stops every source, the last started first. */
  stop(): Promise<void>;
}

/**
 * The channels the config says exist (OPC-UA node, Sparkplug metric and Modbus register mappings):
 * watched for silence from the start, so one that never delivers raises the no-data ticket like a
 * sensor that stopped.
 */
export function configuredChannels(
  config: Pick<SourcesConfig, 'opcua' | 'sparkplug' | 'modbus'>,
): { assetId: string; channel: string }[] {
  return [
    ...config.opcua.flatMap((endpoint) => endpoint.nodes),
    ...(config.sparkplug.consume?.map ?? []),
    ...config.modbus.flatMap((device) => device.registers),
  ];
}

/**
 * Builds every source the config names, the MQTT source on `brokerUrl` (in-process when that is the
 * embedded broker, `inProcess`), one per OPC-UA endpoint and
 * the Sparkplug host (on its own broker, or also on `brokerUrl`), one per Modbus device, and starts
 * each against the sink. When one cannot start, those built so far are stopped and the
 * error is thrown.
 */
export async function startSources(
  config: SourcesConfig,
  brokerUrl: string,
  sink: MeasurementSink,
  logger: Logger,
  inProcess?: InProcessBroker,
): Promise<StartedSources> {
  const list: Source[] = [];
  const shutdown = new Shutdown(logger);
  const start = async (source: Source) => {
    list.push(source);
    shutdown.add(() => source.stop());
    await source.start(sink);
  };
  try {
    const { mqtt } = config;
    await start(
      new MqttSource({
        id: 'mqtt',
        brokerUrl,
        topicPrefix: mqtt.topicPrefix,
        clientId: `plantwatch-edge-${config.gatewayId}`,
        timeWindow: config.input,
        connection: brokerConnectOptions(mqtt),
        ...(inProcess ? { inProcess } : {}),
        logger,
      }),
    );
    // node-opcua is large and slow to load; only agents that read OPC-UA pay for it.
    const { OpcuaSource } = config.opcua.length ? await import('./opcua/opcua-source.js') : {};
    for (const endpoint of config.opcua) {
      if (!OpcuaSource) break;
      await start(new OpcuaSource(endpoint, logger, config.input));
    }
    const sparkplug = config.sparkplug.consume;
    // The Sparkplug codec (protobufjs) too is loaded only by agents that read Sparkplug.
    const { SparkplugSource } = sparkplug ? await import('./sparkplug/sparkplug-source.js') : {};
    if (sparkplug && SparkplugSource)
      await start(
        new SparkplugSource({
          id: 'sparkplug',
          brokerUrl: sparkplug.brokerUrl ?? brokerUrl,
          clientId: `plantwatch-sparkplug-${config.gatewayId}`,
          config: sparkplug,
          // The agent's login is for the agent's broker only: another broker's goes in its URL.
          ...(sparkplug.brokerUrl ? {} : { connection: brokerConnectOptions(mqtt) }),
          timeWindow: config.input,
          logger,
        }),
      );
    // Each device its own source: its own connection and poll loop, so a dead one delays no other.
    const { ModbusSource } = config.modbus.length ? await import('./modbus/modbus-source.js') : {};
    for (const device of config.modbus) {
      if (!ModbusSource) break;
      await start(new ModbusSource(device, logger));
    }
  } catch (error) {
    await shutdown.run();
    throw error;
  }
  return { list, stop: () => shutdown.run() };
}
