import { monotonicFactory } from 'ulidx';
import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';

const ulid = monotonicFactory();

/**
 * A representative high-severity threshold ticket, with evidence, as the edge raises it: what the
 * outbox, ingest and drain benchmarks write, and what tests start from.
 */
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
