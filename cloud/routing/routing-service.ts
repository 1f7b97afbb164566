import type { CloudServices, CloudWorker } from '../services.js';

/** Assigns new tickets to the engineer on call, and escalates the ones nobody acknowledged in time. */
export interface RoutingService extends CloudWorker {
  /** Escalates every ticket whose acknowledge time has passed (also run on a timer); returns how many. */
  escalateDue(): Promise<number>;
}

export async function startRouting(services: CloudServices): Promise<RoutingService> {
  void services;
  return { idle: async () => {}, stop: async () => {}, escalateDue: async () => 0 };
}
