import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';
import { sampleTicket } from '../../simulators/bench/sample-tickets.js';

export { sampleEvents, sampleTicket } from '../../simulators/bench/sample-tickets.js';

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

/**
 * What its gateway sends next about a ticket it raised with openTicket: the ticket as it is now
 * (`ticket.updated` by default, `ticket.cleared` for a clear), under the gateway's next seq.
 */
export async function sendTicketEvent(
  store: { ingest: { applyEvents(gatewayId: string, events: OutboxEvent[]): Promise<unknown> } },
  ticket: Ticket,
  type: OutboxEvent['type'] = 'ticket.updated',
): Promise<Ticket> {
  const seqs = nextSeq.get(store) ?? new Map<string, number>();
  nextSeq.set(store, seqs);
  const seq = (seqs.get(ticket.gatewayId) ?? 0) + 1;
  seqs.set(ticket.gatewayId, seq);
  await store.ingest.applyEvents(ticket.gatewayId, [
    { gatewayId: ticket.gatewayId, seq, type, at: new Date().toISOString(), ticket },
  ]);
  return ticket;
}
