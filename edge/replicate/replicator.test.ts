import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/outbox.js';
import { blamedSeqs, Replicator } from './replicator.js';
import type { IngestRequest, OutboxEvent } from '../../shared/schema/index.js';
import { removeTempDirs, silentLogger, startTestCloud, tempDir, waitFor } from '../../test/helpers/stack.js';
import { sampleEvents, sampleTicket } from '../../test/helpers/tickets.js';

type Script = (
  request: IngestRequest,
  raw: IncomingMessage,
) => { status: number; body?: unknown; headers?: Record<string, string> } | 'drop';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  removeTempDirs();
});

/** A real HTTP server on loopback that answers ingest requests as the script says, and records them. */
async function scriptedCloud(script: Script): Promise<{
  url: string;
  requests: { at: number; body: IngestRequest; auth?: string; encoding?: string }[];
}> {
  const requests: { at: number; body: IngestRequest; auth?: string; encoding?: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text =
        req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      const body = JSON.parse(text) as IngestRequest;
      requests.push({
        at: Date.now(),
        body,
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
        ...(req.headers['content-encoding'] ? { encoding: req.headers['content-encoding'] } : {}),
      });
      const answer = script(body, req);
      if (answer === 'drop') {
        // The cloud stored the batch but the reply is lost on the way back.
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, requests };
}

/** Answers as the real cloud does: the highest seq received with none missing below it. */
function watermarkOf(): (body: IngestRequest) => number {
  const received = new Set<number>();
  let watermark = 0;
  return (body) => {
    for (const event of body.events) received.add(event.seq);
    while (received.has(watermark + 1)) watermark++;
    return watermark;
  };
}

function replicatorFor(url: string, outbox: Outbox, batchMaxEvents = 100, maxAttempts?: number): Replicator {
  const replicator = new Replicator({
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    outbox,
    gatewayId: 'gw-1',
    cloudUrl: url,
    token: 'pwgw_test-token-0123456789',
    batchMaxEvents,
    batchMaxBytes: 1_000_000,
    backoff: { initialMs: 40, maxMs: 400 },
    compress: true,
    requestTimeoutMs: 2000,
    logger: silentLogger(),
  });
  cleanups.push(() => replicator.stop());
  return replicator;
}

function outboxWith(events: number): Outbox {
  const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
  cleanups.push(() => outbox.close());
  for (let i = 0; i < events; i++) outbox.append('ticket.opened', sampleTicket(), new Date().toISOString());
  return outbox;
}

describe('replicator', () => {
  it('sends the newest events ahead of a backlog, then the backlog in seq order, and acknowledges from the reply', async () => {
    const watermark = watermarkOf();
    const cloud = await scriptedCloud((body) => ({ status: 200, body: { ackedSeq: watermark(body) } }));
    const outbox = outboxWith(5);
    replicatorFor(cloud.url, outbox, 2).start();
    await waitFor(() => outbox.stats().pending === 0, 'drain');
    // More than a batch waits: the newest go first, once; then the backlog from the watermark.
    expect(cloud.requests.map((r) => r.body.events.map((e) => e.seq))).toEqual([
      [4, 5],
      [1, 2],
      [3, 4],
    ]);
    expect(cloud.requests[0]?.auth).toBe('Bearer pwgw_test-token-0123456789');
    expect(cloud.requests[0]?.encoding).toBe('gzip');
    // Each batch reports the backlog as the gateway saw it, for the cloud's fleet view.
    expect(cloud.requests[0]?.body.backlog).toEqual({
      pending: 5,
      lastSeq: 5,
      oldestPendingAgeMs: expect.any(Number),
    });
  });

  it('probes a failing link with one event at a time, and sends full batches again once it answers', async () => {
    let calls = 0;
    const watermark = watermarkOf();
    const cloud = await scriptedCloud((body) =>
      ++calls <= 4 ? { status: 503 } : { status: 200, body: { ackedSeq: watermark(body) } },
    );
    const outbox = outboxWith(10);
    const replicator = replicatorFor(cloud.url, outbox, 5);
    replicator.start();
    await waitFor(() => outbox.stats().pending === 0, 'delivery after the failures');
    // Three full batches (the newest, ahead of the backlog) fail; then the circuit is open and
    // single events probe it; once it answers, the newest go ahead again, then the backlog.
    expect(cloud.requests.map((r) => r.body.events.map((e) => e.seq))).toEqual([
      [6, 7, 8, 9, 10],
      [6, 7, 8, 9, 10],
      [6, 7, 8, 9, 10],
      [1],
      [1],
      [7, 8, 9, 10],
      [2, 3, 4, 5, 6],
    ]);
  });

  it('backs off exponentially with jitter while the cloud fails, and keeps everything pending', async () => {
    let calls = 0;
    const cloud = await scriptedCloud((body) =>
      ++calls <= 4 ? { status: 503 } : { status: 200, body: { ackedSeq: body.events.at(-1)?.seq } },
    );
    const outbox = outboxWith(1);
    const replicator = replicatorFor(cloud.url, outbox);
    replicator.start();
    // Waits on the replicator's view, not the server's: a request counted there may not be answered yet.
    await waitFor(() => replicator.health().consecutiveFailures >= 4, 'four failures');
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(outbox.stats().pending).toBe(1);
    expect(replicator.health()).toMatchObject({ state: 'backing-off', consecutiveFailures: 4 });
    await waitFor(() => outbox.stats().pending === 0, 'delivery after the failures');
    const gaps = cloud.requests.slice(1).map((r, i) => r.at - (cloud.requests[i]?.at ?? 0));
    // Delays are in [d/2, d] for d = 40, 80, 160, 320 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[3]).toBeGreaterThanOrEqual(155);
    expect(gaps[3]).toBeGreaterThan(gaps[0] ?? 0);
  });

  it('does not acknowledge when the reply is lost, and resends the same events', async () => {
    let calls = 0;
    const cloud = await scriptedCloud((body) =>
      ++calls === 1 ? 'drop' : { status: 200, body: { ackedSeq: body.events.at(-1)?.seq } },
    );
    const outbox = outboxWith(3);
    replicatorFor(cloud.url, outbox).start();
    await waitFor(() => outbox.stats().pending === 0, 'delivery after the lost reply');
    expect(cloud.requests.map((r) => r.body.events.map((e) => e.seq))).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('waits as long as Retry-After says when rate-limited', async () => {
    let calls = 0;
    const cloud = await scriptedCloud((body) =>
      ++calls === 1
        ? { status: 429, headers: { 'retry-after': '1' } }
        : { status: 200, body: { ackedSeq: body.events.at(-1)?.seq } },
    );
    const outbox = outboxWith(1);
    replicatorFor(cloud.url, outbox).start();
    await waitFor(() => outbox.stats().pending === 0, 'delivery after the rate limit');
    expect((cloud.requests[1]?.at ?? 0) - (cloud.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('waits as long as a 503 says in Retry-After, as seconds or as an HTTP date', async () => {
    let calls = 0;
    const cloud = await scriptedCloud((body) => {
      calls++;
      if (calls === 1) return { status: 503, headers: { 'retry-after': '1' } };
      if (calls === 2)
        return { status: 503, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } };
      return { status: 200, body: { ackedSeq: body.events.at(-1)?.seq } };
    });
    const outbox = outboxWith(1);
    replicatorFor(cloud.url, outbox).start();
    await waitFor(() => outbox.stats().pending === 0, 'delivery after the maintenance window');
    const at = cloud.requests.map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(990);
    // An HTTP date has whole seconds: at least one of the two seconds asked for.
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(990);
  });

  it('halves the batch when the cloud refuses its size', async () => {
    const watermark = watermarkOf();
    const cloud = await scriptedCloud((body) =>
      body.events.length > 2
        ? { status: 413, body: { message: 'too large' } }
        : { status: 200, body: { ackedSeq: watermark(body) } },
    );
    const outbox = outboxWith(4);
    replicatorFor(cloud.url, outbox, 8).start();
    await waitFor(() => outbox.stats().pending === 0, 'delivery in smaller batches');
    // 4 refused → halved to 2 (the newest two go ahead) → grown by one to 3, refused → 1 at a time.
    expect(cloud.requests.map((r) => r.body.events.map((e) => e.seq))).toEqual([
      [1, 2, 3, 4],
      [3, 4],
      [1, 2, 3],
      [1],
      [2],
    ]);
  });

  it('renumbers and resends when its outbox was recreated under a gateway id the cloud knows', async () => {
    const cloud = await startTestCloud();
    cleanups.push(() => cloud.stop());
    const token = await cloud.store.access.createGatewayToken('gw-1', { sites: ['site-a'] });
    // The gateway's previous outbox (before a disk replacement) delivered seq 1..5.
    await cloud.store.ingest.applyEvents('gw-1', sampleEvents('gw-1', [1, 2, 3, 4, 5]));
    const outbox = outboxWith(2);
    const fresh = outbox.pending(10, 1e9).bodies.map((body) => (JSON.parse(body) as OutboxEvent).ticket.id);
    const replicator = new Replicator({
      outbox,
      gatewayId: 'gw-1',
      cloudUrl: cloud.url,
      token,
      batchMaxEvents: 100,
      batchMaxBytes: 1_000_000,
      backoff: { initialMs: 40, maxMs: 400 },
      requestTimeoutMs: 2000,
      compress: true, // the real cloud decompresses
      logger: silentLogger(),
    });
    cleanups.push(() => replicator.stop());
    replicator.start();
    await waitFor(() => outbox.stats().pending === 0, 'the new events delivered');
    expect(outbox.stats()).toMatchObject({ lastSeq: 7, ackedSeq: 7 });
    for (const id of fresh) expect(await cloud.store.review.get(id)).toBeDefined();
    expect((await cloud.store.ingest.gateways())[0]).toMatchObject({ ackedSeq: 7, eventsReceived: 7 });
  });

  it('shows a new fault on one asset in the cloud while another asset’s backlog still drains, in order', async () => {
    const cloud = await startTestCloud();
    cleanups.push(() => cloud.stop());
    const token = await cloud.store.access.createGatewayToken('gw-1', { sites: ['site-a'] });
    // A week offline: 600 events of the pump wait; the link is thin (backlogRate 200 events/s).
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    cleanups.push(() => outbox.close());
    const pump = sampleTicket({ assetId: 'pump-1' });
    const at = new Date().toISOString();
    outbox.transaction(() => {
      for (let i = 1; i <= 600; i++) {
        outbox.append(i === 1 ? 'ticket.opened' : 'ticket.updated', { ...pump, occurrences: i }, at);
      }
    });
    const replicator = new Replicator({
      outbox,
      gatewayId: 'gw-1',
      cloudUrl: cloud.url,
      token,
      batchMaxEvents: 50,
      batchMaxBytes: 1_000_000,
      backoff: { initialMs: 40, maxMs: 400 },
      requestTimeoutMs: 2000,
      compress: true,
      backlogEventsPerSecond: 200,
      logger: silentLogger(),
    });
    cleanups.push(() => replicator.stop());
    replicator.start();
    await waitFor(
      async () => ((await cloud.store.ingest.gateways())[0]?.ackedSeq ?? 0) >= 100,
      'the drain under way',
    );
    // Now a fan develops a fault: its ticket overtakes the pump's remaining backlog.
    const fan = sampleTicket({ assetId: 'fan-3' });
    outbox.append('ticket.opened', fan, new Date().toISOString());
    replicator.notify();
    await waitFor(
      async () => (await cloud.store.review.get(fan.id)) !== undefined,
      'the fan ticket in the cloud',
    );
    const [duringDrain] = await cloud.store.ingest.gateways();
    expect(duringDrain?.ackedSeq).toBeLessThan(500);
    expect(replicator.health().sentAheadOfBacklog).toBeGreaterThan(0);
    // The pump's newest events went ahead too, but wait for its older ones: never applied out of order.
    expect((await cloud.store.review.get(pump.id))?.occurrences).toBeLessThan(600);
    await waitFor(() => outbox.stats().pending === 0, 'the backlog drained');
    expect((await cloud.store.review.get(pump.id))?.occurrences).toBe(600);
    expect((await cloud.store.ingest.gateways())[0]).toMatchObject({ ackedSeq: 601, eventsReceived: 601 });
  });

  it('waits out outages, refused credentials, rate limits and refusals that blame no event: none sets an event aside', async () => {
    const answers: ReturnType<Script>[] = [
      { status: 503 },
      { status: 500 },
      'drop',
      { status: 401, body: { message: 'bad token' } },
      { status: 403, body: { message: 'another gateway' } },
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 400, body: { message: "body: unknown field 'setAside'" } },
    ];
    const cloud = await scriptedCloud(
      (body) => answers.shift() ?? { status: 200, body: { ackedSeq: body.events.at(-1)?.seq } },
    );
    const outbox = outboxWith(1);
    const replicator = replicatorFor(cloud.url, outbox, 100, 2);
    replicator.start();
    await waitFor(() => outbox.stats().pending === 0, 'delivery after seven failures');
    // Seven failures, each more than maxAttempts (2) allows for a refused event: all were waited out.
    expect(cloud.requests).toHaveLength(8);
    expect(outbox.stats()).toMatchObject({ deadLetters: 0, ackedSeq: 1 });
    expect(replicator.health()).toMatchObject({ setAsideEvents: 0, failedAttempts: 7 });
  });

  it('sets aside the event a 400 names after maxAttempts, and sends the ones behind it once', async () => {
    // As the real cloud: the watermark stops below the missing seq; settledSeq passes it once reported.
    const received = new Set<number>();
    const cloud = await scriptedCloud((body) => {
      const bad = body.events.findIndex((e) => e.seq === 2);
      if (bad >= 0) {
        return {
          status: 400,
          body: { message: `body/events/${bad}/ticket/title must NOT have more than 200 characters` },
        };
      }
      for (const event of body.events) received.add(event.seq);
      const setAside = new Set(body.setAside?.map((e) => e.seq));
      let ackedSeq = 0;
      while (received.has(ackedSeq + 1)) ackedSeq++;
      let settledSeq = ackedSeq;
      while (received.has(settledSeq + 1) || setAside.has(settledSeq + 1)) settledSeq++;
      return { status: 200, body: { ackedSeq, settledSeq } };
    });
    const outbox = outboxWith(3);
    const replicator = replicatorFor(cloud.url, outbox, 100, 2);
    replicator.start();
    await waitFor(() => outbox.stats().pending === 0, 'the others delivered');
    await waitFor(() => replicator.health().state === 'idle', 'idle');
    expect(cloud.requests.map((r) => r.body.events.map((e) => e.seq))).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 3],
    ]);
    // The batch after the set-aside reports it, with the cloud's reason.
    expect(cloud.requests[0]?.body.setAside).toBeUndefined();
    expect(cloud.requests[2]?.body.setAside).toEqual([
      expect.objectContaining({
        seq: 2,
        type: 'ticket.opened',
        attempts: 2,
        reason: expect.stringMatching(/^400 body\/events\/1\/ticket\/title/),
      }),
    ]);
    expect(outbox.stats()).toMatchObject({ ackedSeq: 1, settledSeq: 3, deadLetters: 1, pending: 0 });
    expect(replicator.health().setAsideEvents).toBe(1);
  });

  it('blames only what a refusal names: the events a 400 points at, the only event of a 413', () => {
    const answer = (status: number, message: string) => ({
      status,
      ok: false,
      text: JSON.stringify({ message }),
      headers: new Headers(),
    });
    const batch = { seqs: [7, 8, 9] };
    expect(
      blamedSeqs(answer(400, 'body/events/2/ticket/id must match, body/events/0/at must match'), batch),
    ).toEqual([9, 7]);
    expect(blamedSeqs(answer(400, 'body/events/12/at must match'), batch)).toEqual([]);
    expect(blamedSeqs(answer(400, 'body/backlog/pending must be integer'), batch)).toEqual([]);
    expect(blamedSeqs(answer(413, 'too large'), batch)).toEqual([]);
    expect(blamedSeqs(answer(413, 'too large'), { seqs: [5] })).toEqual([5]);
    for (const status of [401, 403, 429, 500, 502, 503]) {
      expect(blamedSeqs(answer(status, 'body/events/0/at must match'), batch)).toEqual([]);
    }
  });
});
