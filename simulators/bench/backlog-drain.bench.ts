import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openCloudStore } from '../../cloud/open-cloud-store.js';
import { Outbox } from '../../edge/outbox/outbox.js';
import { Replicator } from '../../edge/replicate/replicator.js';
import { sleep } from '../../shared/time.js';
import { createLogger } from '../../shared/log.js';
import { sampleTicket } from './sample-tickets.js';
import { startCloudProcess } from './cloud-process.js';
import { type BenchResult, result } from './measure.js';

const BACKLOG = 100_000;
const ASSETS = 100;

/**
 * A long outage ends: 100,000 buffered ticket events (100 assets) drained from the outbox through
 * the replicator (gzip, batches of 500) into cloud ingest, which runs as its own process as it does
 * in production, on loopback. The baseline is the floor of writing the same rows into SQLite at all
 * (one transaction, WAL, synchronous=FULL), measured in the same run.
 */
export async function benchBacklogDrain(dir: string): Promise<BenchResult[]> {
  const gatewayId = 'gw-drain';
  const outbox = new Outbox(join(dir, 'drain-outbox.db'), gatewayId);
  const tickets = Array.from({ length: ASSETS }, (_, a) =>
    sampleTicket({ gatewayId, assetId: `asset-${a}` }),
  );
  const at = new Date().toISOString();
  outbox.transaction(() => {
    for (let i = 0; i < BACKLOG; i++) {
      const ticket = { ...tickets[i % ASSETS]!, occurrences: 1 + Math.floor(i / ASSETS) };
      outbox.append(i < ASSETS ? 'ticket.opened' : 'ticket.updated', ticket, at);
    }
  });

  const cloudDb = join(dir, 'drain-cloud.db');
  const store = await openCloudStore(cloudDb);
  const token = await store.access.createGatewayToken(gatewayId, { sites: ['site-a'] });
  await store.close();
  const { url: cloudUrl, process: cloud } = await startCloudProcess(cloudDb, 'backlog-drain');
  try {
    const replicator = new Replicator({
      outbox,
      gatewayId,
      cloudUrl,
      token,
      batchMaxEvents: 500,
      batchMaxBytes: 2 * 1024 * 1024,
      backoff: { initialMs: 50, maxMs: 1000 },
      requestTimeoutMs: 30_000,
      compress: true,
      logger: createLogger('bench', 'silent'),
    });
    const started = process.hrtime.bigint();
    replicator.start();
    const deadline = Date.now() + 120_000;
    while (outbox.stats().ackedSeq < BACKLOG && Date.now() < deadline) await sleep(2);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const drained = outbox.stats().ackedSeq;
    await replicator.stop();
    if (drained < BACKLOG)
      throw new Error(`backlog-drain: only ${drained} of ${BACKLOG} events drained in 120 s`);

    const raw = new Database(join(dir, 'drain-raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = raw.prepare('INSERT INTO events (seq, body) VALUES (?, ?)');
    const body = JSON.stringify({ gatewayId, seq: 1, type: 'ticket.updated', at, ticket: tickets[0] });
    const rawStarted = process.hrtime.bigint();
    raw.transaction(() => {
      for (let i = 1; i <= BACKLOG; i++) insert.run(i, body);
    })();
    const rawSeconds = Number(process.hrtime.bigint() - rawStarted) / 1e9;
    raw.close();
    return [
      result(
        'backlog-drain',
        BACKLOG,
        'events/s',
        BACKLOG / seconds,
        'raw-sqlite-insert',
        BACKLOG / rawSeconds,
      ),
      result('backlog-drain-time', BACKLOG, 's', seconds, 'goal', 5),
    ];
  } finally {
    outbox.close();
    cloud.kill('SIGTERM');
  }
}
