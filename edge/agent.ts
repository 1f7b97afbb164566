import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Features, Reading } from '../shared/schema/index.js';
import { createLogger } from '../shared/log.js';
import { packageVersion } from '../shared/paths.js';
import { type FileProblem, formatProblem } from '../shared/yaml-file.js';
import type { EdgeConfig } from './config.js';
import { createEdgeMetrics } from './metrics.js';
import { LocalAlerts } from './alerts/local-alerts.js';
import { Outbox, type OutboxStats } from './outbox/outbox.js';
import { Replicator, type ReplicatorHealth } from './replicate/replicator.js';
import { Baselines, type BaselineView } from './rules/baselines.js';
import { type LoadedRule, loadRules } from './rules/load-rules.js';
import { RuleEngine } from './rules/rule-engine.js';
import { RulesWatcher } from './rules/rules-watcher.js';
import { openRuleStateDb } from './rules/state-db.js';
import { TrendHistories } from './rules/trend-histories.js';
import { WaveformAnalyser } from './signal/waveform-analysis.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './sources/mqtt/embedded-broker.js';
import { MqttSource } from './sources/mqtt/mqtt-source.js';
import type { Source, SourceHealth } from './sources/source.js';
import { createPipeline, type PipelineSnapshot } from './pipeline.js';
import { startStatusServer } from './status/status-server.js';
import { TelemetryBuffer, type TelemetryBufferStats } from './telemetry/telemetry-buffer.js';
import { TelemetryShipper, type TelemetryShipperState } from './telemetry/telemetry-shipper.js';
import { TelemetrySummary } from './telemetry/telemetry-summary.js';
import { TicketManager } from './tickets/ticket-manager.js';

export interface EdgeTelemetryStatus extends TelemetryBufferStats {
  shipping: TelemetryShipperState;
  /** Points the cloud accepted since start. */
  shipped: number;
  /** Points the cloud refused as invalid, since start. */
  rejected: number;
  /** The last problem sending (or else storing) telemetry. */
  lastError?: string;
}

export interface EdgeStatus extends PipelineSnapshot {
  gatewayId: string;
  site: string;
  outbox: OutboxStats;
  replication: ReplicatorHealth;
  sources: SourceHealth[];
  rules: { id: string; version: string; file: string }[];
  /** Problems of the last rule reload that was rejected (the rules above kept running), if any. */
  ruleProblems: string[];
  baselines: BaselineView[];
  openTickets: number;
  /** Absent when telemetry.enabled is false. */
  telemetry?: EdgeTelemetryStatus;
}

/** How often the no-data rules look for silent channels, and learned baselines are written down. */
const SILENCE_CHECK_MS = 1000;
const BASELINE_FLUSH_MS = 30_000;

export interface EdgeAgent {
  config: EdgeConfig;
  brokerUrl: string;
  statusUrl: string;
  outbox: Outbox;
  status(): EdgeStatus;
  stop(): Promise<void>;
}

/** Starts every part of the agent on the data path, from broker to replicator, and its status server. */
export async function startEdgeAgent(
  config: EdgeConfig,
  logger: Logger = createLogger('edge'),
): Promise<EdgeAgent> {
  const ruleSet = loadRules(config.rulesDir);
  if (ruleSet.problems.length > 0) {
    throw new Error(`rule files have errors:\n${ruleSet.problems.map(formatProblem).join('\n')}`);
  }
  let rules: readonly LoadedRule[] = ruleSet.rules;
  let ruleProblems: FileProblem[] = [];

  mkdirSync(config.dataDir, { recursive: true });
  const outbox = new Outbox(join(config.dataDir, 'outbox.db'), config.gatewayId, config.outbox.maxBytes);
  const cleanups: (() => Promise<void> | void)[] = [() => outbox.close()];
  const { missing, ackedSeq, lastSeq } = outbox.stats();
  if (missing > 0) {
    logger.error(
      { missing, ackedSeq, lastSeq },
      `the outbox lacks ${missing} of its unacknowledged events (between seq ${ackedSeq + 1} and ${lastSeq}): the file was damaged or edited; the cloud will report the gap`,
    );
  }
  const stateDb = openRuleStateDb(join(config.dataDir, 'rule-state.db'));
  cleanups.push(() => {
    stateDb.close();
  });
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'error during shutdown');
      }
    }
    cleanups.length = 0;
  };

  try {
    const sources: Source[] = [];
    const replicator = new Replicator({
      outbox,
      gatewayId: config.gatewayId,
      cloudUrl: config.cloud.url,
      token: config.cloud.token,
      batchMaxEvents: config.cloud.batchMaxEvents,
      batchMaxBytes: config.cloud.batchMaxBytes,
      backoff: { initialMs: config.cloud.retryInitialMs, maxMs: config.cloud.retryMaxMs },
      requestTimeoutMs: config.cloud.requestTimeoutMs,
      compress: config.cloud.compress,
      ...(config.cloud.backlogEventsPerSecond
        ? { backlogEventsPerSecond: config.cloud.backlogEventsPerSecond }
        : {}),
      logger,
    });
    const telemetry = config.telemetry.enabled ? startTelemetry(config, outbox, logger) : undefined;
    if (telemetry) cleanups.push(...telemetry.cleanups);
    const metrics = createEdgeMetrics({
      outbox,
      replicator,
      sources: () => sources,
      telemetry: telemetry?.status,
    });
    const baselines = new Baselines(stateDb);
    cleanups.push(() => baselines.flush());
    const engine = new RuleEngine({
      baselines,
      trendHistories: new TrendHistories(stateDb, (key, reason) =>
        logger.warn({ key, reason }, 'stored trend history unreadable; the trend is learned afresh'),
      ),
      staleAfterMs: config.rules.staleAfterMs,
      baselineLearnMs: config.rules.baselineLearnMs,
    });
    engine.setRules(rules);
    metrics.rulesLoaded.set(rules.length);
    for (const { assetId, channel } of config.opcua.flatMap((endpoint) => endpoint.nodes)) {
      engine.signals.expect(assetId, channel, Date.now());
    }
    const tickets = new TicketManager({
      gatewayId: config.gatewayId,
      site: config.site,
      outbox,
      updateIntervalMs: config.tickets.updateIntervalMs,
      slaMs: config.tickets.slaMs,
      agentVersion: packageVersion(),
      configHash: config.configHash,
    });
    for (const ticket of tickets.openTickets()) {
      engine.markFiring(ticket.rule.id, ticket.assetId, ticket.evidence.channel);
    }
    replicator.start();
    cleanups.push(() => replicator.stop());

    let localAlerts: LocalAlerts | undefined;
    const pipeline = createPipeline({
      analyser: new WaveformAnalyser(config.assets),
      engine,
      tickets,
      metrics,
      logger,
      onEvent: (event) => {
        replicator.notify();
        localAlerts?.onEvent(event);
      },
      ...(telemetry ? { onFeatures: telemetry.onFeatures, onReading: telemetry.onReading } : {}),
    });
    const timers = [
      setInterval(() => pipeline.checkSilence(), SILENCE_CHECK_MS),
      setInterval(() => baselines.flush(), BASELINE_FLUSH_MS),
      ...(telemetry ? [setInterval(telemetry.flush, config.telemetry.intervalMs)] : []),
    ];
    cleanups.push(() => timers.forEach(clearInterval));

    const watcher = new RulesWatcher({
      dir: config.rulesDir,
      onRules: (loaded) => {
        rules = loaded;
        ruleProblems = [];
        engine.setRules(loaded);
        metrics.rulesLoaded.set(loaded.length);
        metrics.ruleReloads.inc({ result: 'ok' });
        logger.info(
          { rules: loaded.map((r) => `${r.spec.id}@${r.version}`) },
          `rules reloaded from ${config.rulesDir}: ${loaded.length} rules`,
        );
      },
      onProblems: (problems) => {
        ruleProblems = problems;
        metrics.ruleReloads.inc({ result: 'rejected' });
        logger.error(
          { problems: problems.map(formatProblem) },
          `rule files have errors; the previous ${rules.length} rules keep running until they are fixed:\n${problems.map(formatProblem).join('\n')}`,
        );
      },
    });
    watcher.start();
    cleanups.push(() => watcher.stop());

    let brokerUrl = config.mqtt.url;
    if (!brokerUrl) {
      const broker: EmbeddedBroker = await startEmbeddedBroker(config.mqtt.embedded);
      cleanups.push(() => broker.close());
      brokerUrl = broker.url;
      logger.info({ url: broker.url }, 'embedded MQTT broker listening');
    }
    if (config.mqtt.alerts) {
      localAlerts = new LocalAlerts({
        brokerUrl,
        topicPrefix: config.mqtt.topicPrefix,
        site: config.site,
        logger,
        ...(config.mqtt.username ? { username: config.mqtt.username } : {}),
        ...(config.mqtt.password ? { password: config.mqtt.password } : {}),
      });
      const alerts = localAlerts;
      // Before the broker closes, so the last alarms are flushed.
      cleanups.push(() => alerts.stop());
      alerts.start(tickets.openTickets());
    }
    const mqttSource = new MqttSource({
      id: 'mqtt',
      brokerUrl,
      topicPrefix: config.mqtt.topicPrefix,
      clientId: `plantwatch-edge-${config.gatewayId}`,
      ...(config.mqtt.username ? { username: config.mqtt.username } : {}),
      ...(config.mqtt.password ? { password: config.mqtt.password } : {}),
    });
    sources.push(mqttSource);
    cleanups.push(() => mqttSource.stop());
    await mqttSource.start(pipeline.sink);
    // node-opcua is large and slow to load; only agents that read OPC-UA pay for it.
    const { OpcuaSource } = config.opcua.length ? await import('./sources/opcua/opcua-source.js') : {};
    for (const endpoint of config.opcua) {
      if (!OpcuaSource) break;
      const opcuaSource = new OpcuaSource(endpoint, logger);
      sources.push(opcuaSource);
      cleanups.push(() => opcuaSource.stop());
      await opcuaSource.start(pipeline.sink);
    }

    const status = (): EdgeStatus => ({
      gatewayId: config.gatewayId,
      site: config.site,
      outbox: outbox.stats(),
      replication: replicator.health(),
      sources: sources.map((s) => s.health()),
      rules: rules.map((r) => ({ id: r.spec.id, version: r.version, file: r.file })),
      ruleProblems: ruleProblems.map(formatProblem),
      baselines: baselines.list(),
      openTickets: tickets.openTickets().length,
      ...(telemetry ? { telemetry: telemetry.status() } : {}),
      ...pipeline.snapshot(),
    });
    const statusServer = await startStatusServer({
      host: config.http.host,
      port: config.http.port,
      registry: metrics.registry,
      status: () => {
        const s = status();
        return {
          ...s,
          healthy: !s.outbox.full && s.sources.every((source) => source.state === 'connected'),
        };
      },
    });
    cleanups.push(() => statusServer.server.close());
    logger.info(
      {
        gatewayId: config.gatewayId,
        status: statusServer.url,
        broker: brokerUrl,
        rules: rules.length,
        cloud: config.cloud.url,
      },
      'edge agent running',
    );
    return { config, brokerUrl, statusUrl: statusServer.url, outbox, status, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Features and readings → 10 s summaries → telemetry.db → the cloud, behind the tickets. The
 * returned cleanups run in reverse: the partial interval is drained into the buffer, then the
 * shipper stops, then the buffer closes.
 */
function startTelemetry(config: EdgeConfig, outbox: Outbox, logger: Logger) {
  const buffer = new TelemetryBuffer(join(config.dataDir, 'telemetry.db'), {
    maxBytes: config.telemetry.maxBytes,
    logger,
  });
  const summary = new TelemetrySummary(config.site, config.telemetry.intervalMs);
  const shipper = new TelemetryShipper({
    buffer,
    gatewayId: config.gatewayId,
    cloudUrl: config.cloud.url,
    token: config.cloud.token,
    requestTimeoutMs: config.cloud.requestTimeoutMs,
    compress: config.cloud.compress,
    intervalMs: config.telemetry.intervalMs,
    batchMaxPoints: config.telemetry.batchMaxPoints,
    backoff: { initialMs: config.cloud.retryInitialMs, maxMs: config.cloud.retryMaxMs },
    ticketBacklog: () => outbox.stats().pending,
    logger,
  });
  shipper.start();
  return {
    onFeatures: (features: Features) => summary.addFeatures(features, Date.now()),
    onReading: (reading: Reading) => summary.addReading(reading, Date.now()),
    flush: () => buffer.add(summary.flush(Date.now())),
    status: (): EdgeTelemetryStatus => {
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
    cleanups: [() => buffer.close(), () => shipper.stop(), () => buffer.add(summary.drain())],
  };
}
