import { monotonicFactory } from 'ulidx';
import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';

const ulid = monotonicFactory();

export function sampleTicket(overrides: Partial<Ticket> = {}): Ticket {
  const now = new Date().toISOString();
  return {
    id: ulid(),
    gatewayId: 'gw-1',
    site: 'site-a',
    assetId: 'pump-1',
    fault: 'threshold',
    severity: 'high',
    status: 'new',
    condition: 'active',
    title: 'pump-1: velocity high',
    summary: 'velocity above the zone C/D boundary',
    suggestedAction: 'SOP-VIB-01',
    rule: { id: 'velocity-rms-zone-d', version: '0123456789abcdef' },
    evidence: {
      triggeringValues: [
        { metric: 'velocityRmsMmS', value: 6.1, threshold: 4.5, comparison: '>', unit: 'mm/s' },
      ],
      windowStart: now,
      windowEnd: now,
      channel: 'de',
      reasoning: ['velocityRmsMmS = 6.1 mm/s > 4.5 mm/s'],
    },
    occurrences: 1,
    firstSeen: now,
    lastSeen: now,
    ...overrides,
  };
}

export function sampleEvents(
  gatewayId: string,
  seqs: number[],
  ticket = sampleTicket({ gatewayId }),
): OutboxEvent[] {
  return seqs.map((seq) => ({
    gatewayId,
    seq,
    type: seq === 1 ? 'ticket.opened' : 'ticket.updated',
    at: new Date().toISOString(),
    ticket: { ...ticket, gatewayId, occurrences: seq },
  }));
}

const nextSeq = new WeakMap<object, Map<string, number>>();

/**
 * Raises a ticket in a cloud through the real ingest path, as its gateway would: the next seq of
 * that gateway, a `ticket.opened` event. Returns the ticket.
 */
export async function openTicket(
  store: { ingest: { applyEvents(gatewayId: string, events: OutboxEvent[]): Promise<unknown> } },
  overrides: Partial<Ticket> = {},
): Promise<Ticket> {
  const ticket = sampleTicket(overrides);
  const seqs = nextSeq.get(store) ?? new Map<string, number>();
  nextSeq.set(store, seqs);
  const seq = (seqs.get(ticket.gatewayId) ?? 0) + 1;
  seqs.set(ticket.gatewayId, seq);
  await store.ingest.applyEvents(ticket.gatewayId, [
    { gatewayId: ticket.gatewayId, seq, type: 'ticket.opened', at: ticket.firstSeen, ticket },
  ]);
  return ticket;
}
