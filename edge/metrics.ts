import { Counter, Gauge, Registry } from 'prom-client';
import type { Outbox } from './outbox/outbox.js';
import type { Replicator } from './replicate/replicator.js';
import type { Source, SourceHealth } from './sources/source.js';

/** The telemetry counts the metrics mirror; undefined while telemetry is disabled. */
export interface TelemetryCounts {
  points: number;
  shipped: number;
  downsampled: number;
  evicted: number;
  dropped: number;
  rejected: number;
}

/** One registry per agent, so several agents in one process (tests, fleet simulation) do not collide. */
export function createEdgeMetrics(deps: {
  outbox: Outbox;
  replicator: Replicator;
  sources: () => readonly Source[];
  telemetry?: () => TelemetryCounts | undefined;
}) {
  const registry = new Registry();
  const rejectedMessages = new Counter({
    name: 'plantwatch_edge_rejected_messages_total',
    help: 'Measurements rejected as bad input, by source and reason',
    labelNames: ['source', 'reason'],
    registers: [registry],
  });
  const mqttRefused = new Counter({
    name: 'plantwatch_edge_mqtt_refused_total',
    help: 'Connects, publishes, subscriptions and packets the embedded MQTT broker refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const httpRefused = new Counter({
    name: 'plantwatch_edge_http_refused_total',
    help: 'Requests to the status port the HTTP parser refused before any route, by code (PW_HEADERS_TOO_LARGE, PW_MALFORMED_REQUEST, PW_REQUEST_TIMEOUT)',
    labelNames: ['code'],
    registers: [registry],
  });
  const opcuaServerLoginsRefused = new Counter({
    name: 'plantwatch_edge_opcua_server_logins_refused_total',
    help: 'Logins the OPC-UA findings server refused, by reason (unknown_user, wrong_password)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const opcuaServerAssetUpdatesFailed = new Counter({
    name: 'plantwatch_edge_opcua_server_asset_update_failures_total',
    help: 'Times the OPC-UA findings server could not bring an asset’s nodes up to date (its old values stay served; the log names the asset)',
    registers: [registry],
  });
  const waveformsAnalysed = new Counter({
    name: 'plantwatch_edge_waveforms_analysed_total',
    help: 'Waveform windows analysed',
    registers: [registry],
  });
  const waveformsDropped = new Counter({
    name: 'plantwatch_edge_waveforms_dropped_total',
    help: 'Waveforms dropped unanalysed because the gateway could not keep up, by reason (superseded: a newer one of the channel waited; overload: too many waited in all)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const readingsReceived = new Counter({
    name: 'plantwatch_edge_readings_received_total',
    help: 'Scalar readings received',
    registers: [registry],
  });
  const ticketEvents = new Counter({
    name: 'plantwatch_edge_ticket_events_total',
    help: 'Ticket events committed to the outbox, by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const ticketWriteFailures = new Counter({
    name: 'plantwatch_edge_ticket_write_failures_total',
    help: 'Ticket events that could not be committed to the outbox (retried on the next window)',
    registers: [registry],
  });
  const ruleReloads = new Counter({
    name: 'plantwatch_edge_rule_reloads_total',
    help: 'Rule file reloads, by result (ok, rejected: the last good rules kept running)',
    labelNames: ['result'],
    registers: [registry],
  });
  const rulesLoaded = new Gauge({
    name: 'plantwatch_edge_rules_loaded',
    help: 'Rules currently evaluated',
    registers: [registry],
  });
  const waveformEvidenceFetched = new Counter({
    name: 'plantwatch_edge_waveform_evidence_fetched_total',
    help: 'Waveform evidence (spectra snapshots) made for a ticket change; a throttled update of an open ticket needs none',
    registers: [registry],
  });
  const ruleOutcomes = new Counter({
    name: 'plantwatch_edge_rule_outcomes_total',
    help: 'Rule conclusions (fire, still-firing, clear), by rule',
    labelNames: ['rule', 'kind'],
    registers: [registry],
  });
  const diagnosisFallbacks = new Counter({
    name: 'plantwatch_edge_diagnosis_fallbacks_total',
    help: 'Waveforms analysed without the full diagnosis (e.g. sample rate too low for the envelope), by asset',
    labelNames: ['asset'],
    registers: [registry],
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_pending',
    help: 'Outbox events not yet acknowledged by the cloud',
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().pending);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unacknowledged outbox event',
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().oldestPendingAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_acked_seq',
    help: "The cloud's acknowledged watermark",
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().ackedSeq);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_last_seq',
    help: 'Sequence number of the newest committed outbox event',
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().lastSeq);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_missing_events',
    help: 'Unacknowledged sequence numbers with no event in the outbox file (damage found at start)',
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().missing);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_full',
    help: '1 while ticket events cannot be stored for lack of space (they are retried); an alert',
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().full ? 1 : 0);
    },
  });
  new Counter({
    name: 'plantwatch_edge_outbox_pruned_events_total',
    help: 'Acknowledged events removed to make room within the outbox budget',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.outbox.stats().prunedEvents);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_outbox_dead_letters',
    help: 'Events set aside after the cloud refused them for their content (kept until `plantwatch outbox resend`)',
    registers: [registry],
    collect() {
      this.set(deps.outbox.stats().deadLetters);
    },
  });
  new Counter({
    name: 'plantwatch_edge_outbox_set_aside_events_total',
    help: 'Events set aside since start, after the cloud refused them for their content cloud.maxAttempts times',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.replicator.health().setAsideEvents);
    },
  });
  new Counter({
    name: 'plantwatch_edge_replication_sent_events_total',
    help: 'Events acknowledged by the cloud in replies to this agent since start',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.replicator.health().sentEvents);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_replication_failed_attempts',
    help: 'Failed replication attempts since start',
    registers: [registry],
    collect() {
      this.set(deps.replicator.health().failedAttempts);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_source_up',
    help: '1 when the source is connected',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const source of deps.sources())
        this.set({ source: source.id }, source.health().state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_source_state',
    help: "1 for the source's current state (starting, connecting, connected, reconnecting, stopped, failed)",
    labelNames: ['source', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of deps.sources()) this.set({ source: source.id, state: source.health().state }, 1);
    },
  });
  // The sources count these themselves; the metrics mirror their counts at scrape time.
  new Counter({
    name: 'plantwatch_edge_source_connects_total',
    help: 'Successful connections of a source since start (OPC-UA); more than one means it reconnected',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      mirrorSourceCount(this, deps.sources(), (health) => health.connects);
    },
  });
  new Counter({
    name: 'plantwatch_edge_source_timestamp_fallbacks_total',
    help: 'Values stamped with their arrival time because their own timestamps were implausible (OPC-UA clocks)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      mirrorSourceCount(this, deps.sources(), (health) => health.timestampFallbacks);
    },
  });
  new Counter({
    name: 'plantwatch_edge_source_subscription_recreations_total',
    help: 'Subscriptions the watchdog re-created because they went silent (OPC-UA)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      mirrorSourceCount(this, deps.sources(), (health) => health.subscriptionRecreations);
    },
  });
  new Counter({
    name: 'plantwatch_edge_sparkplug_rebirth_requests_total',
    help: 'Rebirth requests (NCMD Node Control/Rebirth) sent to Sparkplug edge nodes: data before a birth, lost messages, an unknown alias, a birth not read, a datatype unlike the birth’s, the agent’s own reconnection',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      mirrorSourceCount(this, deps.sources(), (health) => health.rebirthRequests);
    },
  });
  new Counter({
    name: 'plantwatch_edge_sparkplug_bad_payloads_total',
    help: 'Sparkplug payloads that did not decode as Sparkplug B (or lacked a seq in 0–255, or an NDEATH its bdSeq), or named an alias no birth declared',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      mirrorSourceCount(this, deps.sources(), (health) => health.badPayloads);
    },
  });
  new Gauge({
    name: 'plantwatch_edge_sparkplug_unmapped_metrics',
    help: 'Distinct Sparkplug metrics seen in births that sparkplug.consume.map does not name (ignored)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of deps.sources()) {
        const count = source.health().unmappedMetrics;
        if (count !== undefined) this.set({ source: source.id }, count);
      }
    },
  });
  new Counter({
    name: 'plantwatch_edge_modbus_errors_total',
    help: 'Failed Modbus requests and connection attempts, by device and reason (illegal_address, timeout, connection_refused, …)',
    labelNames: ['device', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of deps.sources())
        for (const [reason, count] of Object.entries(source.health().modbusErrors ?? {}))
          this.inc({ device: source.id, reason }, count);
    },
  });
  const telemetry = (): TelemetryCounts | undefined => deps.telemetry?.();
  new Gauge({
    name: 'plantwatch_edge_telemetry_buffered_points',
    help: 'Telemetry summaries waiting for the cloud',
    registers: [registry],
    collect() {
      this.set(telemetry()?.points ?? 0);
    },
  });
  const telemetryCounters: [name: string, help: string, count: keyof TelemetryCounts][] = [
    ['shipped_points_total', 'Telemetry summaries accepted by the cloud since start', 'shipped'],
    [
      'downsampled_points_total',
      'Buffered telemetry summaries removed by thinning old ones to every 4th, to stay in the disk budget',
      'downsampled',
    ],
    [
      'evicted_points_total',
      'Oldest buffered telemetry summaries removed when thinning was not enough for the disk budget',
      'evicted',
    ],
    [
      'dropped_points_total',
      'Telemetry summaries not buffered because the disk was full or failed',
      'dropped',
    ],
    ['rejected_points_total', 'Telemetry summaries the cloud refused as invalid (dropped)', 'rejected'],
  ];
  for (const [name, help, count] of telemetryCounters) {
    new Counter({
      name: `plantwatch_edge_telemetry_${name}`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(telemetry()?.[count] ?? 0);
      },
    });
  }
  return {
    registry,
    rejectedMessages,
    mqttRefused,
    httpRefused,
    opcuaServerLoginsRefused,
    opcuaServerAssetUpdatesFailed,
    waveformsAnalysed,
    waveformsDropped,
    readingsReceived,
    ticketEvents,
    ticketWriteFailures,
    ruleReloads,
    rulesLoaded,
    ruleOutcomes,
    waveformEvidenceFetched,
    diagnosisFallbacks,
  };
}
export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;

function mirrorSourceCount(
  counter: Counter<'source'>,
  sources: readonly Source[],
  count: (health: SourceHealth) => number | undefined,
): void {
  counter.reset();
  for (const source of sources) {
    const value = count(source.health());
    if (value !== undefined) counter.inc({ source: source.id }, value);
  }
}
