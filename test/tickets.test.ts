import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../edge/outbox/outbox.js';
import { loadRules } from '../edge/rules/load-rules.js';
import { ThresholdEvaluator } from '../edge/rules/threshold-evaluator.js';
import { TicketManager } from '../edge/tickets/ticket-manager.js';
import { defaultRulesDir } from '../shared/paths.js';
import type { SpectrumSnapshot } from '../shared/schema/index.js';
import { Ticket } from '../shared/schema/index.js';
import { validator } from '../shared/validation.js';
import { velocityWindow } from './helpers/features.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

afterAll(removeTempDirs);

const validTicket = validator(Ticket, 'ticket');
const spectrum: SpectrumSnapshot = { binHz: 1.5625, unit: 'g', amplitudes: [0, 0.2, 0.05] };
const rules = loadRules(defaultRulesDir()).rules.filter((r) => r.spec.id === 'velocity-rms-zone-d');

/** A ticket manager over a real outbox, with a clock the test moves one second per window. */
function harness(updateIntervalMs: number) {
  let now = Date.parse('2026-11-24T06:00:00Z');
  const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
  const manager = new TicketManager({
    gatewayId: 'gw-1',
    site: 's1',
    outbox,
    updateIntervalMs,
    now: () => now,
  });
  const evaluator = new ThresholdEvaluator();
  /** Advances one second, evaluates a window at that velocity, and returns the events it committed. */
  const step = (velocityRmsMmS: number, assetId = 'pump-1') => {
    now += 1000;
    return evaluator
      .evaluate(rules, velocityWindow(now, velocityRmsMmS, assetId))
      .map((outcome) => manager.apply(outcome, spectrum))
      .filter((event) => event !== undefined);
  };
  return { outbox, manager, step };
}

describe('tickets at the edge', () => {
  it('opens one ticket per problem, sends throttled updates, and clears it with its evidence', () => {
    const { outbox, manager, step } = harness(60_000);
    const events = [];
    // 6 mm/s for 30 windows (fires on the 10th, after the 10 s pending period), then 2 mm/s (below the clear level 2.8).
    for (let i = 0; i < 40; i++) events.push(...step(i < 30 ? 6 : 2));
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
    const { outbox, step } = harness(10_000);
    const types: string[] = [];
    for (let i = 0; i < 45; i++) types.push(...step(6).map((e) => `${e.type}#${e.ticket.occurrences}`));
    // Fires at 10 s (pending period), then updates every 10 s while the problem persists.
    expect(types).toEqual(['ticket.opened#1', 'ticket.updated#11', 'ticket.updated#21', 'ticket.updated#31']);
    outbox.close();
  });

  it('keeps one ticket per asset', () => {
    const { outbox, manager, step } = harness(60_000);
    for (let i = 0; i < 15; i++) {
      step(6, 'pump-1');
      // The two assets interleave; each keeps its own rule state and its own ticket.
      step(6, 'pump-2');
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
