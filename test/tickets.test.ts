import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../edge/outbox/outbox.js';
import { loadRules } from '../edge/rules/load-rules.js';
import { ThresholdEvaluator } from '../edge/rules/threshold-evaluator.js';
import { TicketManager } from '../edge/tickets/ticket-manager.js';
import { defaultRulesDir } from '../shared/paths.js';
import type { Features, SpectrumSnapshot } from '../shared/schema/index.js';
import { Ticket } from '../shared/schema/index.js';
import { validator } from '../shared/validation.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

afterAll(removeTempDirs);

const validTicket = validator(Ticket, 'ticket');
const spectrum: SpectrumSnapshot = { binHz: 1.5625, unit: 'g', amplitudes: [0, 0.2, 0.05] };
const rules = loadRules(defaultRulesDir()).rules.filter((r) => r.spec.id === 'velocity-rms-zone-d');

const window = (t: number, velocityRmsMmS: number, assetId = 'pump-1'): Features => ({
  ts: t,
  assetId,
  channel: 'de',
  windowStart: t,
  windowEnd: t + 1000,
  sampleRateHz: 12_800,
  accelUnit: 'g',
  accelRms: 0.1,
  accelPeak: 0.3,
  velocityRmsMmS,
  crestFactor: 3,
  kurtosis: 3,
});

describe('tickets at the edge', () => {
  it('opens one ticket per problem, sends throttled updates, and clears it with its evidence', () => {
    let now = Date.parse('2026-11-24T06:00:00Z');
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    const manager = new TicketManager({
      gatewayId: 'gw-1',
      site: 's1',
      outbox,
      updateIntervalMs: 60_000,
      now: () => now,
    });
    const evaluator = new ThresholdEvaluator();
    const events = [];
    for (let i = 0; i < 40; i++) {
      now += 1000;
      // 6 mm/s for 30 windows (fires on the 10th, after the 10 s pending period), then 2 mm/s (below the clear level 2.8).
      for (const outcome of evaluator.evaluate(rules, window(now, i < 30 ? 6 : 2))) {
        const event = manager.apply(outcome, spectrum);
        if (event) events.push(event);
      }
    }
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'ticket.opened'],
      [2, 'ticket.cleared'],
    ]);
    const [opened, cleared] = events;
    expect(validTicket(opened?.ticket)).toBeTruthy();
    expect(opened?.ticket).toMatchObject({
      status: 'new',
      condition: 'active',
      severity: 'high',
      fault: 'threshold',
      occurrences: 1,
      rule: { id: 'velocity-rms-zone-d', version: rules[0]?.version },
    });
    expect(opened?.ticket.evidence.triggeringValues).toEqual([
      { metric: 'velocityRmsMmS', value: 6, threshold: 4.5, comparison: '>', unit: 'mm/s' },
    ]);
    expect(opened?.ticket.evidence.reasoning[0]).toBe('velocityRmsMmS = 6 mm/s > 4.5 mm/s on channel de');
    expect(cleared?.ticket).toMatchObject({ id: opened?.ticket.id, condition: 'cleared', occurrences: 21 });
    expect(cleared?.ticket.evidence.spectrum).toEqual(spectrum);
    expect(manager.openTickets()).toEqual([]);
    outbox.close();
  });

  it('re-sends a persisting problem at most once per update interval', () => {
    let now = Date.parse('2026-11-24T06:00:00Z');
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    const manager = new TicketManager({
      gatewayId: 'gw-1',
      site: 's1',
      outbox,
      updateIntervalMs: 10_000,
      now: () => now,
    });
    const evaluator = new ThresholdEvaluator();
    const types: string[] = [];
    for (let i = 0; i < 45; i++) {
      now += 1000;
      for (const outcome of evaluator.evaluate(rules, window(now, 6))) {
        const event = manager.apply(outcome, spectrum);
        if (event) types.push(`${event.type}#${event.ticket.occurrences}`);
      }
    }
    // Fires at 10 s (pending period), then updates every 10 s while the problem persists.
    expect(types).toEqual(['ticket.opened#1', 'ticket.updated#11', 'ticket.updated#21', 'ticket.updated#31']);
    outbox.close();
  });

  it('keeps one ticket per asset', () => {
    let now = Date.parse('2026-11-24T06:00:00Z');
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    const manager = new TicketManager({
      gatewayId: 'gw-1',
      site: 's1',
      outbox,
      updateIntervalMs: 60_000,
      now: () => now,
    });
    const evaluator = new ThresholdEvaluator();
    for (let i = 0; i < 15; i++) {
      now += 1000;
      for (const asset of ['pump-1', 'pump-2']) {
        for (const outcome of evaluator.evaluate(rules, window(now, 6, asset)))
          manager.apply(outcome, spectrum);
      }
    }
    expect(
      manager
        .openTickets()
        .map((t) => t.assetId)
        .sort(),
    ).toEqual(['pump-1', 'pump-2']);
    expect(outbox.stats().lastSeq).toBe(2);
    outbox.close();
  });
});
