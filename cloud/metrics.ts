import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per app instance, so several apps in one process (tests) do not collide. */
export function createCloudMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plantwatch_cloud_' });
  return {
    registry,
    ingestRequests: new Counter({
      name: 'plantwatch_cloud_ingest_requests_total',
      help: 'Ingest requests by HTTP status code',
      labelNames: ['code'],
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'plantwatch_cloud_ingest_duration_seconds',
      help: 'Time to answer an ingest request, from arrival to reply',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ingestRejects: new Counter({
      name: 'plantwatch_cloud_ingest_rejects_total',
      help: 'Ingest requests refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    requestRefusals: new Counter({
      name: 'plantwatch_cloud_request_refusals_total',
      help: 'Requests refused on any route before their handler ran, by error code (PW_NUL_CHARACTER)',
      labelNames: ['code'],
      registers: [registry],
    }),
    ticketActionRefusals: new Counter({
      name: 'plantwatch_cloud_ticket_action_refusals_total',
      help: 'Engineers’ ticket actions refused, by error code (PW_BAD_TRANSITION, PW_CONDITION_ACTIVE…)',
      labelNames: ['code'],
      registers: [registry],
    }),
    telemetryPointsWritten: new Counter({
      name: 'plantwatch_cloud_telemetry_points_written_total',
      help: 'Edge feature summaries written to InfluxDB or the store',
      registers: [registry],
    }),
    telemetryRejects: new Counter({
      name: 'plantwatch_cloud_telemetry_rejects_total',
      help: 'Telemetry batches refused, by reason (site_not_allowed: a site the gateway may not write)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    eventsApplied: new Counter({
      name: 'plantwatch_cloud_events_applied_total',
      help: 'Outbox events applied to tickets (rate() of it is ingest events/s)',
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
