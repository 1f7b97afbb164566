import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { CloudStore } from './cloud-store.js';
import type { TelemetrySink } from './telemetry/telemetry-sink.js';

/** What the cloud's modules (tickets, routing, notifications, bus, CMMS, import…) are built from. */
export interface CloudServices {
  store: CloudStore;
  /** Where edge feature summaries go: InfluxDB when configured, else the store. */
  telemetry: TelemetrySink;
  clock: Clock;
  logger: Logger;
  /**
   * Where engineers open the console, for links in notifications and work orders: the config's
   * `publicUrl`, else the address the server listens on (known once it listens).
   */
  publicUrl(): string;
}

/** The link to a ticket in the console. */
export const ticketLink = (services: CloudServices, ticketId: string): string =>
  `${services.publicUrl().replace(/\/$/, '')}/#/tickets/${encodeURIComponent(ticketId)}`;
