import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { systemClock } from '../../cloud/clock.js';
import type { CloudStore } from '../../cloud/cloud-store.js';
import { runImport } from '../../cloud/import/importer.js';
import { startCloud } from '../../cloud/server.js';
import { startEdgeAgent } from '../../edge/agent.js';
import type { EdgeStatus } from '../../edge/status/edge-status.js';
import { resolveEdgeConfig } from '../../edge/config.js';
import type { Asset as EdgeAssetConfig } from '../../shared/schema/index.js';
import { integerIn, oneOf, speedFactor } from '../../shared/cli-options.js';
import { createLogger } from '../../shared/log.js';
import type { Ticket } from '../../shared/schema/index.js';
import { stopOnSignals } from '../../shared/shutdown.js';
import { defaultRulesDir, packageRoot } from '../../shared/paths.js';
import { sleep } from '../../shared/time.js';
import { FAULT_KINDS, type FaultKind } from '../vibration/machine-model.js';
import { startVibrationSimulator } from '../vibration/publisher.js';
import { sketchSpectrum } from '../../edge/diagnose/spectrum-sketch.js';

const DEMO_RPM = 1780;
/** Simulated seconds for the CNC's coolant pump to fail: the spindle rule fires about a minute in. */
const COOLANT_RAMP_S = 40;
/** Simulated seconds for pump-2's outer-race defect to grow: slow enough for a prediction first. */
const BEARING_RAMP_S = 240;
/** How often the demo says what the edge sees when nothing else happened. */
const PROGRESS_EVERY_MS = 30_000;

/** The demo's machines as the edge knows them: pump-2's bearing gives its envelope its BPFO marks. */
const DEMO_ASSETS: readonly (EdgeAssetConfig & { id: string })[] = [
  {
    id: 'pump-1',
    name: 'Cooling water pump 1',
    machineClass: 'group2-rigid',
    rpm: DEMO_RPM,
    bearing: 'skf-6205',
  },
  {
    id: 'pump-2',
    name: 'Cooling water pump 2',
    machineClass: 'group2-rigid',
    rpm: DEMO_RPM,
    bearing: 'skf-6205',
  },
];

/**
 * The demo's machines in the cloud's asset registry, through the import a plant would use
 * (`plantwatch cloud import assets`): the plant overview then shows them under their areas.
 */
async function registerDemoAssets(store: CloudStore): Promise<void> {
  const csv = [
    'assetId,site,name,group,machineClass,rpm,bearing,channels',
    'pump-1,demo-plant,Cooling water pump 1,Cooling water,group2-rigid,1780,skf-6205,de-accel',
    'pump-2,demo-plant,Cooling water pump 2,Cooling water,group2-rigid,1780,skf-6205,de-accel',
    'cnc-1,demo-plant,CNC machining centre 1,Machining,,,,spindle_speed;spindle_temperature;coolant_flow',
  ].join('\n');
  const report = await runImport(store, systemClock, {
    kind: 'assets',
    bytes: Buffer.from(csv),
    source: 'demo-assets.csv',
    actor: 'demo',
  });
  if (report.problems.length > 0) {
    throw new Error(`the demo's asset list did not import: ${JSON.stringify(report.problems)}`);
  }
}

/**
 * The shipped rules plus the demo's own (simulators/demo/rules): a prediction with its history and
 * horizon compressed from days to minutes, so a predicted failure date appears while you watch.
 */
function demoRulesDir(dataDir: string): string {
  const dir = join(dataDir, 'rules');
  mkdirSync(dir, { recursive: true });
  for (const source of [defaultRulesDir(), join(packageRoot(), 'simulators', 'demo', 'rules')]) {
    for (const file of readdirSync(source).filter((name) => /\.ya?ml$/.test(name))) {
      copyFileSync(join(source, file), join(dir, file));
    }
  }
  return dir;
}

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
  await registerDemoAssets(cloud.store);
  // node-opcua loads only when the demo runs, not with every plantwatch command.
  const { routeOpcuaLibraryLogs } = await import('../../edge/sources/opcua/opcua-library-logs.js');
  routeOpcuaLibraryLogs((level, text) => logger.debug({ component: 'node-opcua', level }, text));
  const { startOpcuaSimulator } = await import('../opcua/opcua-simulator.js');
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
        rulesDir: demoRulesDir(dataDir),
        assets: DEMO_ASSETS.map((asset) => ({ ...asset })),
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
  const pump = (assetId: string, fault: FaultKind, rampS: number, seed: number, damageSpread = false) =>
    startVibrationSimulator({
      brokerUrl: edge.brokerUrl,
      topicPrefix: 'plantwatch',
      assetId,
      channel: 'de-accel',
      fault,
      rpm: DEMO_RPM,
      sampleRateHz: 12_800,
      samplesPerFrame: 8192,
      rampS,
      speed: options.speed,
      frames: 0,
      seed,
      damageSpread,
    });
  const simulators = [
    await pump('pump-1', options.fault, 30, 1),
    await pump('pump-2', 'outer-race', BEARING_RAMP_S, 2, true),
  ];

  print(`Plantwatch demo (data in ${dataDir})`);
  print(`  console    ${cloud.url}/   log in as 'engineer' with password ${password}`);
  print(`             API: curl -H 'Authorization: Bearer ${apiToken}' ${cloud.url}/api/v1/tickets`);
  print(`  edge       ${edge.statusUrl}/api/v1/status   MQTT broker ${edge.brokerUrl}`);
  print(`  pump-1     ${options.fault} developing over 30 simulated seconds (MQTT, ${DEMO_RPM} rpm)`);
  print(
    `  pump-2     outer-race defect on its SKF 6205 bearing growing over ${BEARING_RAMP_S} simulated seconds (MQTT)`,
  );
  print(
    `  cnc-1      coolant pump failing over ${COOLANT_RAMP_S} simulated seconds (OPC-UA ${cnc.endpointUrl})`,
  );
  print(
    `Next: open ${cloud.url}/#/plant for the machines' health; open a ticket for its evidence ` +
      '(spectra, trend, reasoning) and Acknowledge it.',
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
        print(`[${elapsed()}] ticket in the cloud: ${ticket.title} [${ticket.severity}, ${dueText(ticket)}]`);
        print(`           ${cloud.url}/#/tickets/${ticket.id}`);
        lastProgress = Date.now();
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
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
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
    for (const simulator of simulators) await simulator.stop();
    // The edge first, so it does not report the CNC's shutdown as a lost connection.
    await edge.stop();
    await cnc.stop();
    await cloud.stop();
    print(
      `Stopped. The demo's data (cloud database, edge outbox) stays in ${dataDir}; ` +
        `reopen its console with: npx plantwatch cloud --db ${join(dataDir, 'cloud.db')}`,
    );
  };
  return { stop, firstTicket };
}

/** `due in 23 h`: the ticket's urgency as the console shows it. */
function dueText(ticket: Ticket): string {
  if (!ticket.dueAt) return 'no due date';
  const hours = Math.round((Date.parse(ticket.dueAt) - Date.now()) / 3_600_000);
  const minutes = Math.max(0, Math.round((Date.parse(ticket.dueAt) - Date.now()) / 60_000));
  if (minutes < 120) return `due in ${minutes} min`;
  return hours < 48 ? `due in ${hours} h` : `due in ${Math.round(hours / 24)} d`;
}

/** What the edge sees right now, in one line. */
function progressLine(status: EdgeStatus): string {
  const pump = (assetId: string) => {
    const f = status.latestFeatures.find((features) => features.assetId === assetId);
    return f
      ? `${assetId} ${f.velocityRmsMmS.toFixed(2)} mm/s zone ${f.isoZone ?? '?'}, kurtosis ${f.kurtosis.toFixed(1)}`
      : `${assetId} waiting`;
  };
  const reading = (channel: string) => status.latestReadings.find((r) => r.channel === channel)?.value;
  const temperature = reading('spindle_temperature');
  const flow = reading('coolant_flow');
  return [
    pump('pump-1'),
    pump('pump-2'),
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
