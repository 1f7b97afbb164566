/** Publishes a scenario's measurements over MQTT, its simulated clock compressed by a speed factor. */
import mqtt from 'mqtt';
import { measurementTopic } from '../../shared/schema/index.js';
import type { Scenario } from './scenario-file.js';
import { type ScenarioMeasurement, scenarioMeasurements, TEMPERATURE_CHANNEL } from './scenario-waveforms.js';

export interface ScenarioPublishOptions {
  brokerUrl: string;
  topicPrefix: string;
  /** Simulated seconds per wall-clock second; Infinity = as fast as the broker (and `afterPublish`) allow. */
  speed: number;
  /** Data-clock time of the scenario's start (default: now). */
  startTimeMs?: number;
  /** Awaited after each measurement: backpressure, e.g. until the agent has analysed it. */
  afterPublish?: (measurement: ScenarioMeasurement) => Promise<void> | void;
  signal?: AbortSignal;
}

export async function publishScenario(scenario: Scenario, options: ScenarioPublishOptions): Promise<number> {
  const client = await mqtt.connectAsync(options.brokerUrl, {
    clientId: `plantwatch-scenario-${scenario.assetId}-${process.pid}-${Math.floor(Math.random() * 1e6)}`,
    reconnectPeriod: 1000,
  });
  const waveformTopic = measurementTopic(options.topicPrefix, scenario.assetId, scenario.channel, 'waveform');
  const temperatureTopic = measurementTopic(
    options.topicPrefix,
    scenario.assetId,
    TEMPERATURE_CHANNEL,
    'reading',
  );
  const startMs = options.startTimeMs ?? Date.now();
  const wallStartMs = Date.now();
  let published = 0;
  try {
    for (const measurement of scenarioMeasurements(scenario, startMs)) {
      if (options.signal?.aborted) break;
      // Paced against the start, not the previous waveform, so publishing time does not make it drift slow.
      const dueMs = wallStartMs + measurement.simulatedMs / options.speed;
      const waitMs = dueMs - Date.now();
      if (Number.isFinite(waitMs) && waitMs > 0) await sleep(waitMs, options.signal);
      if (options.signal?.aborted) break;
      await client.publishAsync(waveformTopic, JSON.stringify(measurement.waveform), { qos: 1 });
      await client.publishAsync(temperatureTopic, JSON.stringify(measurement.temperature), { qos: 1 });
      published++;
      await options.afterPublish?.(measurement);
    }
  } finally {
    await client.endAsync();
  }
  return published;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
