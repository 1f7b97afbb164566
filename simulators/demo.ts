import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startCloud } from '../cloud/server.js';
import { startEdgeAgent } from '../edge/agent.js';
import type { EdgeStatus } from '../edge/status/edge-status.js';
import { resolveEdgeConfig } from '../edge/config.js';
import { integerIn, oneOf, speedFactor } from '../shared/cli-options.js';
import { createLogger } from '../shared/log.js';
import type { Ticket } from '../shared/schema/index.js';
import { stopOnSignals } from '../shared/shutdown.js';
import { sleep } from '../shared/time.js';
import { FAULT_KINDS, type FaultKind } from './vibration/machine-model.js';
import { startVibrationSimulator } from './vibration/publisher.js';
import { sketchSpectrum } from '../edge/diagnose/spectrum-sketch.js';

const DEMO_RPM = 1780;
/** Simulated seconds for the CNC's coolant pump to fail: the spindle rule fires about a minute in. */
const COOLANT_RAMP_S = 40;

export interface DemoOptions {
  port: number;
  fault: FaultKind;
  speed: number;
  /** Stop by itself after this many seconds (0 = until Ctrl-C). */
  duration: number;
  dataDir?: string;
  print?: (line: string) => void;
}

/**
 * Cloud, edge agent (embedded broker) and two machines in one process: a pump whose vibration fault
 * develops over MQTT, and a CNC whose coolant pump fails, read over OPC-UA. The edge raises tickets
 * and the cloud shows them. What `npm start` runs.
 */
export async function runDemo(
  options: DemoOptions,
): Promise<{ stop: () => Promise<void>; firstTicket: Promise<Ticket> }> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'plantwatch-demo-'));
  const logger = createLogger('demo', process.env.PLANTWATCH_LOG_LEVEL ?? 'warn');
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  const cloud = await startCloud({
    host: '127.0.0.1',
    port: options.port,
    db: join(dataDir, 'cloud.db'),
    logger,
  });
  const gatewayId = 'demo-gateway';
  const token = await cloud.store.access.createGatewayToken(gatewayId, { sites: ['demo-plant'] });
  // An engineer to review the demo's tickets with: the review API wants a user, as in production.
  const { password } = await cloud.store.access.createUser({
    username: 'engineer',
    role: 'engineer',
    sites: 'all',
  });
  const apiToken = await cloud.store.access.createApiToken('engineer', 'demo');
  // node-opcua loads only when the demo runs, not with every plantwatch command.
  const { routeOpcuaLibraryLogs } = await import('../edge/sources/opcua/opcua-library-logs.js');
  routeOpcuaLibraryLogs((level, text) => logger.debug({ component: 'node-opcua', level }, text));
  const { startOpcuaSimulator } = await import('./opcua/opcua-simulator.js');
  const cnc = await startOpcuaSimulator({
    port: 0,
    pkiDir: join(dataDir, 'opcua-simulator-pki'),
    scenario: 'coolant-degradation',
    rampS: COOLANT_RAMP_S,
    speed: options.speed,
  });
  const cncNode = (name: string) => `ns=1;s=cnc-1.${name}`;
  const edge = await startEdgeAgent(
    resolveEdgeConfig(
      {
        gatewayId,
        site: 'demo-plant',
        dataDir: join(dataDir, 'edge'),
        http: { port: 0 },
        mqtt: { embedded: { port: 0 } },
        cloud: { url: cloud.url, token, retryMax: '5s' },
        tickets: { updateInterval: '15s' },
        opcua: [
          {
            id: 'cnc-1',
            url: cnc.endpointUrl,
            nodes: [
              { nodeId: cncNode('SpindleSpeed'), assetId: 'cnc-1', channel: 'spindle_speed', unit: 'rpm' },
              {
                nodeId: cncNode('SpindleTemperature'),
                assetId: 'cnc-1',
                channel: 'spindle_temperature',
                unit: 'degC',
              },
              { nodeId: cncNode('CoolantFlow'), assetId: 'cnc-1', channel: 'coolant_flow', unit: 'L/min' },
            ],
          },
        ],
      },
      dataDir,
    ),
    logger,
  );
  const simulator = await startVibrationSimulator({
    brokerUrl: edge.brokerUrl,
    topicPrefix: 'plantwatch',
    assetId: 'pump-1',
    channel: 'de-accel',
    fault: options.fault,
    rpm: DEMO_RPM,
    sampleRateHz: 12_800,
    samplesPerFrame: 8192,
    rampS: 30,
    speed: options.speed,
    frames: 0,
    seed: 1,
  });

  print(`Plantwatch demo (data in ${dataDir})`);
  print(`  cloud      ${cloud.url}/   the review console (API: ${cloud.url}/api/v1/tickets)`);
  print(`             log in as 'engineer' with password ${password}, or use the API token:`);
  print(`             curl -H 'Authorization: Bearer ${apiToken}' ${cloud.url}/api/v1/tickets`);
  print(`  edge       ${edge.statusUrl}/api/v1/status   MQTT broker ${edge.brokerUrl}`);
  print(
    `  simulator  pump-1 at ${DEMO_RPM} rpm, ${options.fault} developing over 30 simulated seconds (MQTT)`,
  );
  print(
    `  simulator  cnc-1 at ${cnc.endpointUrl}, coolant pump failing over ${COOLANT_RAMP_S} simulated seconds (OPC-UA)`,
  );

  const stopping = new AbortController();
  let resolveFirst: (ticket: Ticket) => void = () => {};
  const firstTicket = new Promise<Ticket>((resolve) => {
    resolveFirst = resolve;
  });
  const watchTickets = async (): Promise<void> => {
    const seen = new Set<string>();
    const folded = new Set<string>();
    let first: Ticket | undefined;
    let lastProgress = 0;
    while (!stopping.signal.aborted) {
      const page = await cloud.store.review.list({ sort: 'newest', limit: 20 });
      for (const ticket of page.tickets.reverse()) {
        if (ticket.foldedInto && !folded.has(ticket.id)) {
          folded.add(ticket.id);
          print(
            `[${elapsed()}] folded into ${ticket.foldedInto} (the diagnosis explains it): ${ticket.title} — one problem, one ticket`,
          );
        }
        if (seen.has(ticket.id)) continue;
        seen.add(ticket.id);
        print(`[${elapsed()}] ticket in the cloud: ${ticket.title} [${ticket.severity}]`);
        print(`           ${cloud.url}/api/v1/tickets/${ticket.id}`);
        if (!first && ticket.evidence.spectrum) {
          const snapshot = ticket.evidence.spectrum;
          print(
            `  ${snapshot.unit === 'mm/s' ? 'velocity' : 'acceleration'} spectrum on the ticket (the evidence the engineer sees):`,
          );
          const shaftHz = DEMO_RPM / 60;
          const marks = snapshot.marks ?? [1, 2, 3].map((k) => ({ hz: k * shaftHz, label: `${k}×` }));
          for (const line of sketchSpectrum(snapshot, {
            maxHz: 200,
            width: 64,
            height: 6,
            marks,
          })) {
            print(`  ${line}`);
          }
        }
        if (!first) resolveFirst(ticket);
        first ??= ticket;
      }
      if (Date.now() - lastProgress >= 5000) {
        lastProgress = Date.now();
        print(`[${elapsed()}] ${progressLine(edge.status())}`);
      }
      await sleep(500, stopping.signal);
    }
  };
  const watching = watchTickets().catch(() => {});

  const stop = async () => {
    stopping.abort();
    await watching;
    await simulator.stop();
    // The edge first, so it does not report the CNC's shutdown as a lost connection.
    await edge.stop();
    await cnc.stop();
    await cloud.stop();
  };
  return { stop, firstTicket };
}

/** What the edge sees right now, in one line. */
function progressLine(status: EdgeStatus): string {
  const f = status.latestFeatures[0];
  const reading = (channel: string) => status.latestReadings.find((r) => r.channel === channel)?.value;
  const temperature = reading('spindle_temperature');
  const flow = reading('coolant_flow');
  return [
    f
      ? `pump-1 velocity ${f.velocityRmsMmS.toFixed(2)} mm/s, kurtosis ${f.kurtosis.toFixed(1)}`
      : 'pump-1 waiting',
    temperature !== undefined && flow !== undefined
      ? `cnc-1 spindle ${temperature.toFixed(1)} °C, coolant ${flow.toFixed(1)} L/min`
      : 'cnc-1 waiting',
    `outbox ${status.outbox.lastSeq} events, ${status.outbox.pending} pending`,
  ].join('; ');
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'cloud + edge agent + simulator in one command; a fault develops and a ticket reaches the cloud',
    )
    .option('--port <n>', 'cloud port', integerIn(0, 65535), 8080)
    .option('--fault <kind>', `fault to develop: ${FAULT_KINDS.join(', ')}`, oneOf(FAULT_KINDS), 'unbalance')
    .option('--speed <factor>', 'simulation time-scale', speedFactor, 1)
    .option('--duration <s>', 'stop after this many seconds (0 = until Ctrl-C)', integerIn(0, 86_400), 0)
    .action(async (flags: DemoOptions) => {
      const demo = await runDemo(flags);
      stopOnSignals(demo.stop);
      demo.firstTicket.then(
        () => console.log('The ticket stays open while the fault persists. Ctrl-C to stop.'),
        () => {},
      );
      if (flags.duration > 0) {
        await sleep(flags.duration * 1000);
        await demo.stop();
      }
    });
}
