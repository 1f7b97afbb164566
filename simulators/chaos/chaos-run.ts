import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startCloud, type RunningCloud } from '../../cloud/server.js';
import { freeLoopbackPort } from '../free-port.js';
import { packageRoot } from '../../shared/paths.js';
import type { OutboxEvent } from '../../shared/schema/index.js';
import { seededRandom } from '../seeded-random.js';
import { sleep } from '../../shared/time.js';
import { type FaultProxy, LINK_FAULTS, startFaultProxy } from './fault-proxy.js';

export interface ChaosOptions {
  /** How many times the agent is killed with SIGKILL. */
  kills: number;
  dataDir: string;
  seed?: number;
  /** Assets whose readings swing across the rule's threshold: each swing opens or clears a ticket. */
  assets?: number;
  /** How long everything may take to drain after the last kill. */
  drainTimeoutMs?: number;
  progress?: (line: string) => void;
}

export interface ChaosSummary {
  kills: number;
  cloudRestarts: number;
  committed: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Tickets whose final state in the cloud is not that of their last event at the edge. */
  outOfOrder: number;
  /** The cloud's gap report for the gateway after the drain (0: none). */
  gaps: number;
  maxAgentRssMb: number;
  drainMs: number;
}

const GATEWAY_ID = 'gw-chaos';
const MQTT_PREFIX = 'plantwatch';

/** Each swing across 50 opens a ticket (above) or clears it (below 40): many events, quickly. */
const RULES = `rules:
  - id: chaos-level
    title: Level high
    when: level > 50
    clearWhen: level < 40
    severity: low
    fault: threshold
    action: none
`;

/**
 * The store-and-forward proof: cloud + fault-injecting proxy + edge agent (a real process) + a
 * publisher raising tickets. The agent is killed with SIGKILL at random instants, the cloud stopped
 * and started, the link switched between faults; then everything drains and the edge's outbox (the
 * ground truth: every event ever committed) is compared with what the cloud stored.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  // Separate streams: the harness's decisions (kills, cloud restarts) repeat for a seed whatever the
  // publisher and the proxy draw meanwhile.
  const seed = options.seed ?? 1;
  const random = seededRandom(seed);
  const progress = options.progress ?? (() => {});
  const assets = options.assets ?? 8;
  mkdirSync(options.dataDir, { recursive: true });
  const cloudDb = join(options.dataDir, 'cloud.db');
  const silent = pino({ level: 'silent' });

  let cloud: RunningCloud = await startCloud({ host: '127.0.0.1', port: 0, db: cloudDb, logger: silent });
  const cloudPort = Number(new URL(cloud.url).port);
  const token = await cloud.store.access.createGatewayToken(GATEWAY_ID, { sites: ['chaos'] });
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: cloudPort }, seededRandom(seed + 1));
  const brokerPort = await freeLoopbackPort();
  const config = writeAgentConfig(options.dataDir, { cloudUrl: proxy.url, token, brokerPort });

  const agent = new AgentProcess(config);
  const publisher = startPublisher(brokerPort, assets, seededRandom(seed + 2));
  let cloudRestarts = 0;
  let cloudDown = false;
  try {
    for (let kill = 1; kill <= options.kills; kill++) {
      agent.start();
      // Most lives start once the agent is up (its broker takes the publisher back); one in five is
      // cut short anywhere, start-up included (opening the outbox, recovering open tickets).
      if (random() < 0.8) await publisher.connected(15_000);
      // Alive for a random while: long enough sometimes to commit and send, short enough to die mid-way.
      await sleep(300 + random() * 1700);
      await perturb(proxy, random);
      if (random() < 0.15) {
        if (cloudDown) {
          cloud = await startCloud({ host: '127.0.0.1', port: cloudPort, db: cloudDb, logger: silent });
          cloudDown = false;
        } else {
          await stopCloud(cloud);
          cloudDown = true;
          cloudRestarts++;
        }
      }
      await sleep(random() * 400);
      await agent.kill();
      if (kill % 10 === 0 || kill === options.kills) {
        progress(
          `kill ${kill}/${options.kills}: outbox seq ${outboxLastSeq(options.dataDir)}, link ${proxy.fault()}, cloud ${cloudDown ? 'down' : 'up'}, agent RSS max ${agent.maxRssMb.toFixed(0)} MB`,
        );
      }
    }

    // Drain: no more faults, no more new tickets, the agent runs until the cloud holds everything.
    await publisher.stop();
    proxy.setFault('pass');
    if (cloudDown)
      cloud = await startCloud({ host: '127.0.0.1', port: cloudPort, db: cloudDb, logger: silent });
    // Read before the agent starts: a running agent holds its outbox exclusively.
    const lastSeq = outboxLastSeq(options.dataDir);
    agent.start();
    const drainStarted = Date.now();
    const deadline = drainStarted + (options.drainTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const [gateway] = await cloud.store.ingest.gateways();
      if ((gateway?.ackedSeq ?? 0) >= lastSeq) break;
      await sleep(200);
    }
    const drainMs = Date.now() - drainStarted;
    await agent.stop();
    progress(`drained in ${(drainMs / 1000).toFixed(1)} s`);
    return {
      kills: options.kills,
      cloudRestarts,
      ...(await compare(options.dataDir, cloud)),
      maxAgentRssMb: Math.round(agent.maxRssMb),
      drainMs,
    };
  } finally {
    await publisher.stop();
    await agent.stop();
    await proxy.stop();
    if (!cloudDown) await stopCloud(cloud);
  }
}

/** Every few kills the link changes character. */
async function perturb(proxy: FaultProxy, random: () => number): Promise<void> {
  if (random() < 0.4) proxy.setFault(LINK_FAULTS[Math.floor(random() * LINK_FAULTS.length)] ?? 'pass');
}

async function stopCloud(cloud: RunningCloud): Promise<void> {
  // Stalled connections would keep a graceful close waiting for ever.
  cloud.app.server.closeAllConnections();
  await cloud.stop();
}

function writeAgentConfig(
  dataDir: string,
  { cloudUrl, token, brokerPort }: { cloudUrl: string; token: string; brokerPort: number },
): string {
  const rulesDir = join(dataDir, 'rules');
  mkdirSync(rulesDir, { recursive: true });
  writeFileSync(join(rulesDir, 'chaos.yaml'), RULES);
  const file = join(dataDir, 'edge.yaml');
  writeFileSync(
    file,
    [
      `gatewayId: ${GATEWAY_ID}`,
      'site: chaos',
      `dataDir: ${join(dataDir, 'edge')}`,
      `rulesDir: ${rulesDir}`,
      'http: { port: 0 }',
      `mqtt: { embedded: { port: ${brokerPort} }, topicPrefix: ${MQTT_PREFIX} }`,
      'cloud:',
      `  url: ${cloudUrl}`,
      `  token: ${token}`,
      '  retryInitial: 50ms',
      '  retryMax: 1s',
      '  requestTimeout: 2s',
      '  batchMaxEvents: 50',
      'tickets: { updateInterval: 1h }',
      '',
    ].join('\n'),
  );
  return file;
}

/** The agent as a real process, so SIGKILL is what a power cut or the OOM killer does. */
class AgentProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private rssTimer?: NodeJS.Timeout;
  maxRssMb = 0;

  constructor(private readonly configFile: string) {}

  start(): void {
    const child = spawn(
      process.execPath,
      [join(packageRoot(), 'dist', 'plantwatch.js'), 'edge', '--config', this.configFile],
      {
        stdio: 'ignore',
        env: { ...process.env, PLANTWATCH_LOG_LEVEL: 'warn' },
      },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.rssTimer = setInterval(() => this.sampleRss(), 100);
  }

  private sampleRss(): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      this.maxRssMb = Math.max(this.maxRssMb, kb / 1024);
    } catch {
      // The process just exited.
    }
  }

  async kill(): Promise<void> {
    clearInterval(this.rssTimer);
    this.child?.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.rssTimer);
    if (!this.child) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}

/** Readings that swing each asset across the threshold every few hundred milliseconds. */
function startPublisher(brokerPort: number, assets: number, random: () => number) {
  const client: MqttClient = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 200 });
  client.on('error', () => {});
  const high = new Array<boolean>(assets).fill(false);
  const timer = setInterval(() => {
    if (!client.connected) return;
    const asset = Math.floor(random() * assets);
    high[asset] = !high[asset];
    const value = high[asset] ? 60 + random() * 20 : 20 + random() * 15;
    client.publish(
      `${MQTT_PREFIX}/chaos-${asset}/level/reading`,
      JSON.stringify({ value, unit: '%', ts: Date.now() }),
      { qos: 0 },
    );
  }, 40);
  let stopped = false;
  return {
    /** Resolves once the agent's broker has taken the publisher back (bounded, so a dead agent cannot hang the run). */
    async connected(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!client.connected && Date.now() < deadline) await sleep(20);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await client.endAsync(true);
    },
  };
}

function outboxLastSeq(dataDir: string): number {
  const db = new Database(join(dataDir, 'edge', 'outbox.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'lastSeq'").get() as
      { value: string } | undefined;
    return Number(row?.value ?? 0);
  } finally {
    db.close();
  }
}

/** The edge's outbox is the ground truth: every event it ever committed, never deleted. */
async function compare(
  dataDir: string,
  cloud: RunningCloud,
): Promise<Pick<ChaosSummary, 'committed' | 'delivered' | 'lost' | 'duplicated' | 'outOfOrder' | 'gaps'>> {
  const edgeDb = new Database(join(dataDir, 'edge', 'outbox.db'), { readonly: true });
  const cloudDb = new Database(join(dataDir, 'cloud.db'), { readonly: true });
  try {
    const edgeEvents = (
      edgeDb.prepare('SELECT seq, body FROM events ORDER BY seq').all() as { seq: number; body: string }[]
    ).map((row) => JSON.parse(row.body) as OutboxEvent);
    // The cloud keeps what identifies each event; the ticket it carried lives on in the ticket.
    const cloudEvents = cloudDb
      .prepare('SELECT seq, type, ticket_id AS ticketId, at FROM events WHERE gateway_id = ? ORDER BY seq')
      .all(GATEWAY_ID) as { seq: number; type: string; ticketId: string; at: string }[];
    const cloudBySeq = new Map(cloudEvents.map((event) => [event.seq, event]));
    const identity = (e: { ticketId: string; type: string; at: string }) => `${e.ticketId}|${e.type}|${e.at}`;
    const edgeIdentity = (e: OutboxEvent) => identity({ ticketId: e.ticket.id, type: e.type, at: e.at });
    const delivered = edgeEvents.filter((e) => {
      const stored = cloudBySeq.get(e.seq);
      return stored !== undefined && identity(stored) === edgeIdentity(e);
    }).length;
    // The same change stored twice (under two numbers, or twice under one) is a duplicate in effect.
    const duplicated = cloudEvents.length - new Set(cloudEvents.map(identity)).size;
    // Applied in order: each ticket in the cloud ends as its last event at the edge left it.
    const lastEdgeState = new Map<string, OutboxEvent>();
    for (const event of edgeEvents) lastEdgeState.set(event.ticket.id, event);
    let outOfOrder = 0;
    for (const [id, event] of lastEdgeState) {
      const ticket = await cloud.store.review.get(id);
      if (!ticket || ticket.condition !== event.ticket.condition || ticket.lastSeen !== event.ticket.lastSeen)
        outOfOrder++;
    }
    const [gateway] = await cloud.store.ingest.gateways();
    return {
      committed: edgeEvents.length,
      delivered,
      lost: edgeEvents.length - delivered,
      duplicated,
      outOfOrder,
      gaps: gateway?.gap ? 1 : 0,
    };
  } finally {
    edgeDb.close();
    cloudDb.close();
  }
}
