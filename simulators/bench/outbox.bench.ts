import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox } from '../../edge/outbox/outbox.js';
import { sampleTicket } from './sample-tickets.js';
import { type BenchResult, opsPerSecond, result } from './measure.js';

/**
 * One durable ticket event (transaction: seq from meta, insert, meta update; WAL, synchronous=FULL)
 * against the floor: one raw INSERT of the same row in autocommit on the same settings.
 */
export async function benchOutboxCommit(dir: string): Promise<BenchResult> {
  const ticket = sampleTicket();
  const outbox = new Outbox(join(dir, 'bench-outbox.db'), 'gw-bench');
  const ours = await opsPerSecond(
    () => outbox.append('ticket.opened', ticket, new Date().toISOString()),
    1,
    20_000,
  );
  outbox.close();

  const raw = new Database(join(dir, 'bench-raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = raw.prepare('INSERT INTO events (body) VALUES (?)');
  const body = JSON.stringify({
    gatewayId: 'gw-bench',
    seq: 1,
    type: 'ticket.opened',
    at: new Date().toISOString(),
    ticket,
  });
  const baseline = await opsPerSecond(() => insert.run(body), 1, 20_000);
  raw.close();
  return result('outbox-commit', null, 'ops/s', ours, 'raw-sqlite-insert', baseline);
}
