import { closeWithin } from '../shared/http-close.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from '../shared/log.js';
import { type LocalAlerts, localAlertsFor } from './alerts/local-alerts.js';
import type { EdgeConfig } from './config.js';
import { LatestSignals } from './latest-signals.js';
import { freeMemoryRelease } from './free-memory.js';
import { createEdgeMetrics } from './metrics.js';
import { deadLetterRoutes } from './outbox/dead-letter-routes.js';
import { Outbox, reportMissingEvents } from './outbox/outbox.js';
import { createPipeline } from './pipeline.js';
import { replicatorFor } from './replicate/replicator.js';
import { createAgentRules } from './rules/agent-rules.js';
import { loadStartupRules } from './rules/live-rules.js';
import { openRuleStateDb } from './rules/state-db.js';
import { Shutdown } from './shutdown.js';
import { analysisServiceFor } from './signal/analysis-pool.js';
import { brokerFor } from './sources/mqtt/embedded-broker.js';
import { withoutCredentials } from './sources/mqtt/mqtt-config.js';
import type { Source } from './sources/source.js';
import { configuredChannels, startSources } from './sources/start-sources.js';
import { startSparkplugNodeSink } from './sinks/sparkplug-node/start-sparkplug-node.js';
import { startOpcuaServerSink } from './sinks/opcua-server/start-opcua-server.js';
import {
  assetHealthOf,
  edgeHealthy,
  edgeProgress,
  type EdgeStatus,
  edgeStatus,
} from './status/edge-status.js';
import { skipAfterStalls } from './rules/skip-after-stalls.js';
import { startStatusServer } from './status/status-server.js';
import { startTelemetry } from './telemetry/start-telemetry.js';
import { ticketManagerFor } from './tickets/ticket-manager.js';
import { windowTransforms } from './signal/native-kernels.js';

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

/**
 * Starts the agent part by part, from the outbox up to the sources, then its status server. Each
 * part is undone on stop, the last started first.
 */
export async function startEdgeAgent(
  config: EdgeConfig,
  logger: Logger = createLogger('edge'),
): Promise<EdgeAgent> {
  const startupRules = loadStartupRules(config.rulesDir);
  mkdirSync(config.dataDir, { recursive: true });
  const outbox = new Outbox(join(config.dataDir, 'outbox.db'), config.gatewayId, config.outbox.maxBytes);
  const shutdown = new Shutdown(logger);
  shutdown.add(() => outbox.close());
  reportMissingEvents(outbox, logger);
  const stateDb = openRuleStateDb(join(config.dataDir, 'rule-state.db'));
  shutdown.add(() => void stateDb.close());
  const stop = () => shutdown.run();

  try {
    const replicator = replicatorFor(config, outbox, logger);
    const telemetry = config.telemetry.enabled ? startTelemetry(config, outbox, logger) : undefined;
    if (telemetry) shutdown.add(() => telemetry.stop());
    let sources: readonly Source[] = [];
    const metrics = createEdgeMetrics({
      outbox,
      replicator,
      sources: () => sources,
      telemetry: telemetry?.status,
    });

    const signals = new LatestSignals();
    for (const { assetId, channel } of configuredChannels(config))
      signals.expect(assetId, channel, Date.now());
    const tickets = ticketManagerFor(config, outbox);
    const { engine, baselines, rules } = createAgentRules(config, {
      startupRules,
      stateDb,
      signals,
      openTickets: tickets.openTickets(),
      metrics,
      logger,
    });
    shutdown.add(() => baselines.flush());
    replicator.start();
    shutdown.add(() => replicator.stop());

    let localAlerts: LocalAlerts | undefined;
    const analysis = await analysisServiceFor(config, logger);
    const freeMemory = freeMemoryRelease(analysis);
    shutdown.add(() => freeMemory.stop());
    const pipeline = createPipeline({
      signals,
      analysis,
      queue: config.analysis.queue,
      engine,
      tickets,
      metrics,
      logger,
      onEvent: (event) => {
        replicator.notify();
        localAlerts?.onEvent(event);
      },
      ...(telemetry ? { onFeatures: telemetry.onFeatures, onReading: telemetry.onReading } : {}),
      onAnalysisIdle: () => freeMemory.idle(),
      onAnalysisBusy: () => freeMemory.busy(),
    });
    // After the sources stop (they are added later, so stopped earlier), before the outbox closes.
    shutdown.add(() => pipeline.close());
    const timers = [
      setInterval(
        skipAfterStalls(() => pipeline.checkSilence(), SILENCE_CHECK_MS),
        SILENCE_CHECK_MS,
      ),
      setInterval(() => baselines.flush(), BASELINE_FLUSH_MS),
    ];
    shutdown.add(() => timers.forEach(clearInterval));
    rules.start();
    shutdown.add(() => rules.stop());

    const broker = await brokerFor(config.mqtt, logger, (reason) => metrics.mqttRefused.inc({ reason }));
    shutdown.add(() => broker.close());
    // The agent's own clients log in to its embedded broker with the login made for this run.
    const clientConfig = broker.login ? { ...config, mqtt: { ...config.mqtt, ...broker.login } } : config;
    // The pipeline was built before the broker existed: its events reach the alerts from here on.
    const alerts = (localAlerts = localAlertsFor(clientConfig, broker.url, logger, broker.inProcess));
    if (alerts) {
      // Before the broker closes, so the last alarms are flushed.
      shutdown.add(() => alerts.stop());
      await alerts.start(tickets.openTickets());
    }
    const started = await startSources(clientConfig, broker.url, pipeline.sink, logger, broker.inProcess);
    sources = started.list;
    shutdown.add(() => started.stop());

    const parts = { outbox, replicator, sources, rules, baselines, tickets, telemetry, pipeline, signals };
    const status = () => edgeStatus(config, parts);
    shutdown.add(
      await startSparkplugNodeSink(clientConfig, broker.url, () => assetHealthOf(config, parts), logger),
    );
    const opcuaServer = await startOpcuaServerSink(
      config.opcuaServer,
      {
        gatewayId: config.gatewayId,
        health: () => assetHealthOf(config, parts),
        staleAfterMs: config.rules.staleAfterMs,
        loginRefused: (reason) => metrics.opcuaServerLoginsRefused.inc({ reason }),
        assetUpdateFailed: () => metrics.opcuaServerAssetUpdatesFailed.inc(),
      },
      logger,
    );
    shutdown.add(() => opcuaServer.stop());
    const http = await startStatusServer({
      ...config.http,
      registry: metrics.registry,
      onRefusal: (code) => metrics.httpRefused.inc({ code }),
      status,
      healthy: () => edgeHealthy(parts),
      progress: () => edgeProgress(parts),
      plugins: [
        async (app) => app.register(deadLetterRoutes, { outbox, onResent: () => replicator.notify() }),
      ],
    });
    shutdown.add(() => closeWithin(http.server));
    logger.info(
      {
        gatewayId: config.gatewayId,
        status: http.url,
        broker: withoutCredentials(broker.url),
        rules: rules.count,
        cloud: config.cloud.url,
        ...(opcuaServer.endpointUrl ? { opcuaServer: opcuaServer.endpointUrl } : {}),
        // fftw, or pffft-wasm and why: the analysis runs at about two-thirds the speed without FFTW.
        analysisTransforms: windowTransforms.engine,
        ...(windowTransforms.reason ? { analysisTransformsReason: windowTransforms.reason } : {}),
      },
      'edge agent running',
    );
    return { config, brokerUrl: broker.url, statusUrl: http.url, outbox, status, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
