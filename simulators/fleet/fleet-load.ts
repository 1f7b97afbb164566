import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Logger, pino } from 'pino';
import type { CloudStore } from '../../cloud/cloud-store.js';
import { Outbox } from '../../edge/outbox/outbox.js';
import { Replicator, type ReplicatorOptions } from '../../edge/replicate/replicator.js';
import { seededRandom } from '../seeded-random.js';
import { sleep } from '../../shared/time.js';
import { AssetTicketCycle } from './fleet-tickets.js';

/**
 * The cloud under load: its URL, and its store for gateway tokens and the final check of each
 * gateway's watermark (a RunningCloud fits; so does a store opened on a separate cloud's database).
 */
export interface FleetCloud {
  url: string;
  store: Pick<CloudStore, 'access' | 'ingest'>;
}

export type ReplicatorTuning = Pick<
  ReplicatorOptions,
  'batchMaxEvents' | 'batchMaxBytes' | 'backoff' | 'requestTimeoutMs' | 'compress'
>;

export interface FleetLoadOptions {
  cloud: FleetCloud;
  gateways: number;
  assetsPerGateway: number;
  /** Ticket events each gateway commits per second, evenly spaced (each gateway at its own phase). */
  eventsPerGatewayS: number;
  /** How long events are raised; the drain after it is bounded by drainTimeoutS. */
  durationS: number;
  /** Each gateway's outbox file goes here. */
  dataDir: string;
  drainTimeoutS?: number;
  seed?: number;
  /** Gateway ids are `<prefix>-<n>`; unique per run by default, so a reused cloud database never sees an old sequence. */
  gatewayIdPrefix?: string;
  /** The edge agent's defaults unless given. */
  replicator?: Partial<ReplicatorTuning>;
  progressEveryMs?: number;
  onProgress?: (progress: FleetProgress) => void;
  /** Ends the raising of events early (Ctrl-C); the drain and the check still run. */
  signal?: AbortSignal;
  logger?: Logger;
}

export interface FleetProgress {
  elapsedS: number;
  committed: number;
  delivered: number;
  pending: number;
  p99Ms: number | null;
}

export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface GatewayMismatch {
  gatewayId: string;
  lastSeq: number;
  cloudAckedSeq: number | null;
}

export interface FleetLoadResult {
  gateways: number;
  assetsPerGateway: number;
  eventsPerGatewayS: number;
  durationS: number;
  committed: number;
  /** Acknowledged by the cloud (its watermark covers them), by the end of the drain. */
  delivered: number;
  /** Events committed but not in the cloud's watermark at the end: what the check counts as lost. */
  lost: number;
  offeredPerS: number;
  /** Events acknowledged while the load ran, per second of it: the rate the fleet sustains. */
  deliveredPerS: number;
  /** Commit in the outbox → the cloud's acknowledgement covering it, in ms. */
  latencyMs: LatencyPercentiles | null;
  perGatewayDeliveredPerS: { min: number; max: number };
  pendingAtEnd: number;
  errors: { commitFailures: number; replicationFailures: number; lastError?: string };
  drainMs: number;
  wallMs: number;
  /** This process's peak resident set: every gateway, and the cloud when it runs in-process. */
  maxRssMb: number;
  mismatches: GatewayMismatch[];
  ok: boolean;
}

/** The edge agent's replication defaults (edge/config.ts). */
const EDGE_DEFAULTS: ReplicatorTuning = {
  batchMaxEvents: 500,
  batchMaxBytes: 512 * 1024,
  backoff: { initialMs: 500, maxMs: 60_000 },
  requestTimeoutMs: 15_000,
  compress: true,
};

/** An outbox that reports each new watermark, so latency ends at the acknowledgement itself. */
class TimedOutbox extends Outbox {
  onAcknowledged?: (ackedSeq: number) => void;

  override acknowledge(ackedSeq: number): { ackedSeq: number; ahead: boolean } {
    const result = super.acknowledge(ackedSeq);
    this.onAcknowledged?.(result.ackedSeq);
    return result;
  }
}

interface SimulatedGateway {
  id: string;
  outbox: TimedOutbox;
  replicator: Replicator;
  assets: AssetTicketCycle[];
  random: () => number;
  /** performance.now() at each seq's commit; index = seq. */
  committedAt: number[];
  committed: number;
  acked: number;
  ackedDuringLoad: number;
  nextDue: number;
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

function percentiles(values: readonly number[]): LatencyPercentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => Number(percentile(sorted, p).toFixed(2));
  return { p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}

/** The longest the generator holds the event loop at a time. */
const TURN_BUDGET_MS = 20;

const rssMb = (): number => Math.round(process.memoryUsage.rss() / 1024 / 1024);

/**
 * N gateways, each the real edge path minus its sensors (a durable Outbox file and a Replicator
 * posting gzip batches over HTTP), raising ticket events at a fixed rate against one cloud; then a
 * bounded drain and a check that the cloud's watermark of every gateway equals its last seq.
 */
export async function runFleetLoad(options: FleetLoadOptions): Promise<FleetLoadResult> {
  const tuning = { ...EDGE_DEFAULTS, ...options.replicator };
  const logger = options.logger ?? pino({ level: 'silent' });
  const prefix = options.gatewayIdPrefix ?? `fleet-${Date.now().toString(36)}`;
  const intervalMs = 1000 / options.eventsPerGatewayS;
  const seedRandom = seededRandom(options.seed ?? 1);
  const latencies: number[] = [];
  let commitFailures = 0;
  let lastError: string | undefined;
  let loadRunning = true;
  let maxRss = rssMb();

  const gateways: SimulatedGateway[] = [];
  const wallStart = performance.now();
  try {
    for (let n = 1; n <= options.gateways; n++) {
      const id = `${prefix}-${String(n).padStart(3, '0')}`;
      const token = await options.cloud.store.access.createGatewayToken(id, {
        sites: ['site-1', 'site-2', 'site-3', 'site-4', 'site-5'],
      });
      const outbox = new TimedOutbox(join(options.dataDir, `${id}.db`), id);
      const random = seededRandom(Math.floor(seedRandom() * 2 ** 31));
      const gateway: SimulatedGateway = {
        id,
        outbox,
        replicator: new Replicator({
          ...tuning,
          outbox,
          gatewayId: id,
          cloudUrl: options.cloud.url,
          token,
          logger: logger.child({ gatewayId: id }),
        }),
        assets: Array.from(
          { length: options.assetsPerGateway },
          (_, a) => new AssetTicketCycle(id, `site-${1 + ((n - 1) % 5)}`, `asset-${a + 1}`, random),
        ),
        random,
        committedAt: [0],
        committed: 0,
        acked: 0,
        ackedDuringLoad: 0,
        nextDue: 0,
      };
      outbox.onAcknowledged = (ackedSeq) => {
        const now = performance.now();
        for (let seq = gateway.acked + 1; seq <= ackedSeq; seq++) {
          latencies.push(now - gateway.committedAt[seq]!);
          if (loadRunning) gateway.ackedDuringLoad++;
        }
        gateway.acked = Math.max(gateway.acked, ackedSeq);
      };
      gateways.push(gateway);
    }

    const commit = (g: SimulatedGateway): void => {
      const asset = g.assets[Math.floor(g.random() * g.assets.length)]!;
      try {
        g.outbox.transaction(() => {
          const { type, ticket } = asset.next(Date.now());
          // The ticket manager keeps the open ticket beside its event, in the same transaction.
          if (type === 'ticket.cleared') g.outbox.clearOpenTicket(ticket.assetId, ticket.id);
          else g.outbox.saveOpenTicket(ticket.assetId, ticket);
          g.outbox.append(type, ticket, new Date().toISOString());
        });
        g.committed++;
        g.committedAt.push(performance.now());
      } catch (error) {
        commitFailures++;
        lastError = (error as Error).message;
      }
    };

    const loadStart = performance.now();
    const loadEnd = loadStart + options.durationS * 1000;
    /**
     * One scheduler for every gateway. A late gateway catches up on the events it owes, so the
     * offered rate holds under pressure, but each turn is capped and then yields to I/O: in one
     * shared event loop, commits (an fsync each) would otherwise starve the replicators and the
     * run's own clock. What the generator could not raise shows as an offered rate below the asked one.
     */
    const raiseDueEvents = async (): Promise<void> => {
      let first = 0;
      while (!options.signal?.aborted) {
        const turnStart = performance.now();
        if (turnStart >= loadEnd) return;
        let nextDue = loadEnd;
        for (let i = 0; i < gateways.length; i++) {
          // Rotate who goes first, so a capped turn does not always shortchange the same gateways.
          const g = gateways[(first + i) % gateways.length]!;
          let raised = 0;
          while (g.nextDue <= turnStart && performance.now() - turnStart < TURN_BUDGET_MS) {
            commit(g);
            g.nextDue += intervalMs;
            raised++;
          }
          if (raised > 0) g.replicator.notify();
          nextDue = Math.min(nextDue, g.nextDue);
        }
        first = (first + 1) % gateways.length;
        const wait = nextDue - performance.now();
        if (wait > 0) await sleep(wait, options.signal);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    };

    const totals = () => {
      let committed = 0;
      let delivered = 0;
      for (const g of gateways) {
        committed += g.committed;
        delivered += g.acked;
      }
      return { committed, delivered };
    };
    const progress = setInterval(() => {
      maxRss = Math.max(maxRss, rssMb());
      if (!options.onProgress) return;
      const { committed, delivered } = totals();
      options.onProgress({
        elapsedS: Number(((performance.now() - loadStart) / 1000).toFixed(1)),
        committed,
        delivered,
        pending: committed - delivered,
        p99Ms: percentiles(latencies)?.p99 ?? null,
      });
    }, options.progressEveryMs ?? 5000);
    const rssSampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb())), 500);

    try {
      for (const g of gateways) {
        g.replicator.start();
        g.nextDue = loadStart + g.random() * intervalMs;
      }
      await raiseDueEvents();
      loadRunning = false;
      const loadSeconds = (performance.now() - loadStart) / 1000;

      const drainStart = performance.now();
      const drainDeadline = drainStart + (options.drainTimeoutS ?? 30) * 1000;
      while (gateways.some((g) => g.acked < g.committed) && performance.now() < drainDeadline) {
        await sleep(10);
      }
      const drainMs = performance.now() - drainStart;

      let pendingAtEnd = 0;
      const lastSeqs = new Map<string, number>();
      for (const g of gateways) {
        const stats = g.outbox.stats();
        pendingAtEnd += stats.pending;
        lastSeqs.set(g.id, stats.lastSeq);
      }
      await Promise.all(gateways.map((g) => g.replicator.stop()));
      const replicationFailures = gateways.reduce((sum, g) => sum + g.replicator.health().failedAttempts, 0);
      lastError ??= gateways.map((g) => g.replicator.health().lastError).find(Boolean);

      const cloudAcked = new Map(
        (await options.cloud.store.ingest.gateways()).map((view) => [view.gatewayId, view.ackedSeq]),
      );
      const mismatches: GatewayMismatch[] = [];
      let lost = 0;
      for (const [gatewayId, lastSeq] of lastSeqs) {
        const cloudAckedSeq = cloudAcked.get(gatewayId) ?? null;
        lost += Math.max(0, lastSeq - (cloudAckedSeq ?? 0));
        if (cloudAckedSeq !== lastSeq && !(lastSeq === 0 && cloudAckedSeq === null)) {
          mismatches.push({ gatewayId, lastSeq, cloudAckedSeq });
        }
      }

      const { committed, delivered } = totals();
      const perGateway = gateways.map((g) => g.ackedDuringLoad / loadSeconds);
      const round = (v: number) => Number(v.toFixed(2));
      return {
        gateways: options.gateways,
        assetsPerGateway: options.assetsPerGateway,
        eventsPerGatewayS: options.eventsPerGatewayS,
        durationS: round(loadSeconds),
        committed,
        delivered,
        lost,
        offeredPerS: round(committed / loadSeconds),
        deliveredPerS: round(perGateway.reduce((a, b) => a + b, 0)),
        latencyMs: percentiles(latencies),
        perGatewayDeliveredPerS: {
          min: round(Math.min(...perGateway)),
          max: round(Math.max(...perGateway)),
        },
        pendingAtEnd,
        errors: { commitFailures, replicationFailures, ...(lastError ? { lastError } : {}) },
        drainMs: Math.round(drainMs),
        wallMs: Math.round(performance.now() - wallStart),
        maxRssMb: maxRss,
        mismatches,
        ok: committed > 0 && lost === 0 && mismatches.length === 0 && pendingAtEnd === 0,
      };
    } finally {
      clearInterval(progress);
      clearInterval(rssSampler);
    }
  } finally {
    loadRunning = false;
    await Promise.all(gateways.map((g) => g.replicator.stop()));
    for (const g of gateways) g.outbox.close();
  }
}
