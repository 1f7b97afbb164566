import type { CloudServices, CloudWorker } from '../services.js';

/** Tells people about ticket changes on their channels: email, webhook, MQTT. */
export interface NotificationService extends CloudWorker {
  /** Sends what is due now (deferred past quiet hours, digests; also run on a timer); returns how many. */
  deliverDue(): Promise<number>;
}

export async function startNotifications(services: CloudServices): Promise<NotificationService> {
  void services;
  return { idle: async () => {}, stop: async () => {}, deliverDue: async () => 0 };
}
