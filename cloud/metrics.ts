import { Counter, Registry } from 'prom-client';

/** One registry per app instance, so several apps in one process (tests) do not collide. */
export function createCloudMetrics() {
  const registry = new Registry();
  return {
    registry,
    ingestRequests: new Counter({
      name: 'plantwatch_cloud_ingest_requests_total',
      help: 'Ingest requests by HTTP status code',
      labelNames: ['code'],
      registers: [registry],
    }),
    eventsApplied: new Counter({
      name: 'plantwatch_cloud_events_applied_total',
      help: 'Outbox events applied to tickets',
      registers: [registry],
    }),
    duplicatesIgnored: new Counter({
      name: 'plantwatch_cloud_duplicate_events_total',
      help: 'Events received again and ignored (replays after a lost reply or a restart)',
      registers: [registry],
    }),
  };
}
export type CloudMetrics = ReturnType<typeof createCloudMetrics>;
