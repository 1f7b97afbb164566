import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import type { GatewayView, TicketView } from '../shared/schema/index.js';
import { newCloudDatabase } from './helpers/cloud-databases.js';
import { cloudJson } from './helpers/cloud-client.js';
import { removeTempDirs, silentLogger, startTestCloud } from './helpers/stack.js';
import { sampleEvents, sampleTicket } from './helpers/tickets.js';

const clouds: RunningCloud[] = [];
afterAll(async () => {
  await Promise.all(clouds.map((c) => c.stop()));
  removeTempDirs();
});

describe('several cloud instances over one PostgreSQL database', () => {
  it('migrate together, and apply one gateway’s batches, sent to both at once, exactly once and in order', async () => {
    const db = await newCloudDatabase('postgres');
    // Both start at the same instant on an empty database: one migrates, the other waits for it.
    const [a, b] = await Promise.all([
      startTestCloud({ db, logger: silentLogger() }),
      startTestCloud({ db, logger: silentLogger() }),
    ]);
    clouds.push(a, b);
    const token = await a.store.access.createGatewayToken('gw-lb', { sites: ['site-a'] });
    const tickets = Array.from({ length: 4 }, (_, i) =>
      sampleTicket({ gatewayId: 'gw-lb', assetId: `pump-${i}` }),
    );
    const BATCHES = 40;
    const PER_BATCH = 25;
    const post = (cloud: RunningCloud, batch: number) => {
      const seqs = Array.from({ length: PER_BATCH }, (_, i) => batch * PER_BATCH + i + 1);
      const events = seqs.map((seq) => ({
        ...sampleEvents('gw-lb', [seq], tickets[seq % tickets.length])[0]!,
        type: seq <= tickets.length ? ('ticket.opened' as const) : ('ticket.updated' as const),
        ticket: { ...tickets[seq % tickets.length]!, occurrences: seq },
      }));
      return fetch(`${cloud.url}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ gatewayId: 'gw-lb', events }),
      });
    };
    // A load balancer retrying on the other instance: every batch reaches both, concurrently,
    // and some batches arrive before the one ahead of them (held behind the gap, then applied).
    for (let batch = 0; batch < BATCHES; batch += 2) {
      const replies = await Promise.all([
        post(a, batch + 1),
        post(b, batch),
        post(a, batch),
        post(b, batch + 1),
      ]);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    }
    const total = BATCHES * PER_BATCH;
    const { gateways } = await cloudJson<{ gateways: GatewayView[] }>(b, '/api/v1/gateways');
    expect(gateways[0]).toMatchObject({
      gatewayId: 'gw-lb',
      ackedSeq: total,
      eventsReceived: total,
      duplicatesIgnored: total,
    });
    expect(gateways[0]).not.toHaveProperty('gap');
    const { tickets: stored } = await cloudJson<{ tickets: TicketView[] }>(a, '/api/v1/tickets?limit=10');
    expect(stored).toHaveLength(4);
    // Each ticket ends as its last event left it: updates never overtook one another.
    for (const ticket of stored) {
      const index = tickets.findIndex((t) => t.id === ticket.id);
      const last = Math.max(
        ...Array.from({ length: total }, (_, i) => i + 1).filter((seq) => seq % 4 === index),
      );
      expect(ticket.occurrences).toBe(last);
    }
  });
});
