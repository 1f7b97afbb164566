import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Features, Reading } from '../../shared/schema/index.js';
import type { EdgeConfig } from '../config.js';
import type { Outbox } from '../outbox/outbox.js';
import { Shutdown } from '../shutdown.js';
import { cloudLinkOf } from '../uplink/cloud-post.js';
import { TelemetryBuffer, type TelemetryBufferStats } from './telemetry-buffer.js';
import { TelemetryShipper, type TelemetryShipperState } from './telemetry-shipper.js';
import { TelemetrySummary } from './telemetry-summary.js';

export interface EdgeTelemetryStatus extends TelemetryBufferStats {
  shipping: TelemetryShipperState;
  /** Points the cloud accepted since start. */
  shipped: number;
  /** Points the cloud refused as invalid, since start. */
  rejected: number;
  /** The last problem sending (or else storing) telemetry. */
  lastError?: string;
}

export interface EdgeTelemetry {
  /** Every window's features and every reading, from the pipeline. */
  onFeatures(features: Features): void;
  onReading(reading: Reading): void;
  status(): EdgeTelemetryStatus;
  /** Drains the partial interval into the buffer, stops the shipper, closes the buffer. */
  stop(): Promise<void>;
}

/**
 * Features and readings → summaries per interval → telemetry.db → the cloud, behind the tickets:
 * the shipper waits while the outbox holds ticket events.
 */
export function startTelemetry(config: EdgeConfig, outbox: Outbox, logger: Logger): EdgeTelemetry {
  const buffer = new TelemetryBuffer(join(config.dataDir, 'telemetry.db'), {
    maxBytes: config.telemetry.maxBytes,
    logger,
  });
  const summary = new TelemetrySummary(config.site, config.telemetry.intervalMs);
  const shipper = new TelemetryShipper({
    ...cloudLinkOf(config.cloud),
    buffer,
    gatewayId: config.gatewayId,
    intervalMs: config.telemetry.intervalMs,
    batchMaxPoints: config.telemetry.batchMaxPoints,
    ticketBacklog: () => outbox.stats().pending,
    logger,
  });
  // Undone in reverse: the partial interval is drained into the buffer, then the shipper stops,
  // then the buffer closes.
  const shutdown = new Shutdown(logger);
  shutdown.add(() => buffer.close());
  shipper.start();
  shutdown.add(() => shipper.stop());
  shutdown.add(() => buffer.add(summary.drain()));
  const flush = setInterval(() => buffer.add(summary.flush(Date.now())), config.telemetry.intervalMs);
  shutdown.add(() => clearInterval(flush));
  return {
    onFeatures: (features) => summary.addFeatures(features, Date.now()),
    onReading: (reading) => summary.addReading(reading, Date.now()),
    status: () => {
      const stats = buffer.stats();
      const health = shipper.health();
      const lastError = health.lastError ?? stats.lastError;
      return {
        ...stats,
        shipping: health.state,
        shipped: health.shipped,
        rejected: health.rejected,
        ...(lastError === undefined ? {} : { lastError }),
      };
    },
    stop: () => shutdown.run(),
  };
}
