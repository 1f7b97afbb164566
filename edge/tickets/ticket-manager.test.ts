import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/outbox.js';
import type { LoadedRule } from '../rules/load-rules.js';
import { firingContributors, TicketManager } from './ticket-manager.js';
import type { WaveformEvidence } from '../signal/waveform-analysis.js';
import type { Features, SpectrumSnapshot } from '../../shared/schema/index.js';
import { Ticket } from '../../shared/schema/index.js';
import { validator } from '../../shared/validation.js';
import { engineHarness, reading, T0, validRules, window } from '../../test/helpers/rules.js';
import { removeTempDirs, tempDir } from '../../test/helpers/stack.js';
import { sampleTicket } from '../../test/helpers/tickets.js';

afterAll(removeTempDirs);

const validTicket = validator(Ticket, 'ticket');
const spectrum: SpectrumSnapshot = {
  binHz: 1.5625,
  unit: 'mm/s',
  amplitudes: [0, 0.2, 0.05],
  marks: [{ label: '1×', hz: 29.67 }],
};
const waveform = (): WaveformEvidence => ({ spectrum, findings: [] });

const ZONE_RULES = `rules:
  - id: vel-zone
    title: Velocity in zone C or D
    when: isoZone >= 'C'
    for: 10s
    keepFiring: 5s
    severity: medium
    fault: threshold
    action: SOP-VIB-01
`;

const SLA = { critical: 3_600_000, high: 86_400_000, medium: 7 * 86_400_000, low: 30 * 86_400_000 };

/**
 * Rule engine and ticket manager over a real outbox; each step is one second of data and wall time.
 * Given an existing outbox file, it starts as the agent does after a restart: the rule × channel
 * pairs of the open tickets fire already.
 */
function harness(
  rules: LoadedRule[],
  updateIntervalMs = 60_000,
  restart?: { outboxPath: string; from: number },
  slaMs: typeof SLA = SLA,
) {
  let now = restart?.from ?? T0;
  const outboxPath = restart?.outboxPath ?? join(tempDir(), 'outbox.db');
  const outbox = new Outbox(outboxPath, 'gw-1');
  const manager = new TicketManager({
    gatewayId: 'gw-1',
    site: 's1',
    outbox,
    updateIntervalMs,
    slaMs,
    agentVersion: '0.1.0',
    configHash: '0123456789abcdef',
    now: () => now,
  });
  const { engine } = engineHarness(rules);
  for (const ticket of manager.openTickets())
    for (const { ruleId, channel } of firingContributors(ticket))
      engine.markFiring(ruleId, ticket.assetId, channel);
  const step = (features: Partial<Features>) => {
    now += 1000;
    return engine.onFeatures(window(now, features), waveform).flatMap((outcome) => manager.apply(outcome));
  };
  return { outbox, outboxPath, manager, step, now: () => now };
}

const zone = (velocityRmsMmS: number): Partial<Features> => ({
  velocityRmsMmS,
  isoZone: velocityRmsMmS < 1.4 ? 'A' : velocityRmsMmS < 2.8 ? 'B' : velocityRmsMmS < 4.5 ? 'C' : 'D',
});

describe('tickets at the edge', () => {
  it('opens exactly one ticket for input flapping around the threshold', () => {
    const { outbox, step } = harness(validRules(ZONE_RULES));
    const events = [];
    // 2.7 / 2.9 mm/s alternating every 2 s for 5 minutes: around the B/C boundary at 2.8.
    for (let i = 0; i < 300; i++) events.push(...step(zone(Math.floor(i / 2) % 2 === 0 ? 2.9 : 2.7)));
    expect(events.map((e) => e.type)).toEqual([]);
    // Sustained for the pending period: one ticket, whatever dithering follows.
    for (let i = 0; i < 20; i++) events.push(...step(zone(3)));
    for (let i = 0; i < 300; i++) events.push(...step(zone(i % 3 === 0 ? 2.7 : 2.9)));
    // One ticket: opened once, then only its throttled updates (one a minute), never cleared or twinned.
    expect(events.map((e) => e.type)).toEqual(['ticket.opened', ...Array(5).fill('ticket.updated')]);
    expect(new Set(events.map((e) => e.ticket.id)).size).toBe(1);
    outbox.close();
  });

  it('is due within 24 h in zone D whatever the site SLA for its severity (the SOP says so too)', () => {
    // The site's SLA gives a high ticket 3 days; zone D means damage is likely: act within a day.
    const siteSla = { ...SLA, high: 3 * 86_400_000, medium: 14 * 86_400_000 };
    const { step } = harness(validRules(ZONE_RULES), 60_000, undefined, siteSla);
    const events = [];
    for (let i = 0; i < 15; i++) events.push(...step(zone(3.2)));
    for (let i = 0; i < 3; i++) events.push(...step(zone(6)));
    const [opened, escalated] = events;
    expect(opened?.ticket.severity).toBe('medium');
    expect(Date.parse(opened!.ticket.dueAt!) - Date.parse(opened!.ticket.lastSeen)).toBe(14 * 86_400_000);
    expect(escalated?.ticket.severity).toBe('high');
    // Before: due 3 days after zone D (the high SLA) while the card said "act now".
    expect(Date.parse(escalated!.ticket.dueAt!) - Date.parse(escalated!.ticket.lastSeen)).toBe(86_400_000);
  });

  it('sends a due date brought forward at once, within the update interval, at the same severity', () => {
    // A high rule: zone D adds no severity, only its 24 h; the site's SLA gives high 3 days.
    const siteSla = { ...SLA, high: 3 * 86_400_000 };
    const rules = validRules(ZONE_RULES.replace('severity: medium', 'severity: high'));
    const { step } = harness(rules, 60_000, undefined, siteSla);
    const events = [];
    for (let i = 0; i < 15; i++) events.push(...step(zone(3.2)));
    expect(events.map((e) => [e.type, e.ticket.severity])).toEqual([['ticket.opened', 'high']]);
    const opened = events[0]!.ticket;
    expect(Date.parse(opened.dueAt!) - Date.parse(opened.lastSeen)).toBe(3 * 86_400_000);
    // The first window in zone D, seconds after the ticket opened: sent, not held for the 60 s interval.
    const [forward, ...more] = step(zone(6));
    expect(more).toEqual([]);
    expect(forward).toMatchObject({ type: 'ticket.updated', ticket: { id: opened.id, severity: 'high' } });
    expect(Date.parse(forward!.ticket.lastSeen) - Date.parse(opened.lastSeen)).toBeLessThan(60_000);
    expect(Date.parse(forward!.ticket.dueAt!) - Date.parse(forward!.ticket.lastSeen)).toBe(86_400_000);
    // And the next one, with nothing new, is held back again.
    expect(step(zone(6))).toEqual([]);
  });

  it('carries its evidence, escalates at once in zone D, and clears keeping the plots', () => {
    const rules = validRules(ZONE_RULES);
    const { outbox, manager, step } = harness(rules);
    const events = [];
    for (let i = 0; i < 15; i++) events.push(...step(zone(3.2)));
    for (let i = 0; i < 5; i++) events.push(...step(zone(6)));
    for (let i = 0; i < 10; i++) events.push(...step(zone(1)));
    expect(events.map((e) => [e.seq, e.type, e.ticket.severity])).toEqual([
      [1, 'ticket.opened', 'medium'],
      [2, 'ticket.updated', 'high'],
      [3, 'ticket.cleared', 'high'],
    ]);
    const [opened, escalated, cleared] = events;
    for (const e of events) expect(validTicket(e.ticket)).toBeTruthy();
    expect(opened?.ticket).toMatchObject({
      status: 'new',
      condition: 'active',
      fault: 'threshold',
      priority: 'P3',
      occurrences: 1,
      rule: { id: 'vel-zone', version: rules[0]?.version },
      title: 'pump-1: Velocity in zone C or D, zone C (3.2 mm/s)',
    });
    expect(opened?.ticket.evidence).toMatchObject({
      triggeringValues: [{ metric: 'isoZone', value: 'C', threshold: 'C', comparison: '>=' }],
      channel: 'de',
      spectrum,
      agentVersion: '0.1.0',
      configHash: '0123456789abcdef',
    });
    expect(opened?.ticket.evidence.reasoning).toEqual([
      "condition: isoZone >= 'C' (channel de)",
      "  isoZone = 'C' >= 'C': holds (velocity RMS 3.2 mm/s)",
      'held for at least the pending period of 10s before the ticket was raised',
      `rule vel-zone version ${rules[0]?.version} (rules.yaml)`,
    ]);
    // Due a week after it was raised (medium); the escalation to high brings it to a day after zone D.
    const openedDue = Date.parse(opened!.ticket.dueAt!);
    expect(openedDue - Date.parse(opened!.ticket.lastSeen)).toBe(SLA.medium);
    expect(escalated?.ticket).toMatchObject({ id: opened?.ticket.id, priority: 'P2' });
    expect(Date.parse(escalated!.ticket.dueAt!) - Date.parse(escalated!.ticket.lastSeen)).toBe(SLA.high);
    expect(cleared?.ticket).toMatchObject({ id: opened?.ticket.id, condition: 'cleared' });
    expect(cleared?.ticket.evidence.spectrum).toEqual(spectrum);
    expect(cleared?.ticket.evidence.reasoning[0]).toBe(
      "condition no longer holds: isoZone >= 'C' (channel de)",
    );
    expect(manager.openTickets()).toEqual([]);
    outbox.close();
  });

  it('re-sends a persisting problem at most once per update interval', () => {
    const { outbox, step } = harness(validRules(ZONE_RULES), 10_000);
    const types: string[] = [];
    for (let i = 0; i < 45; i++) types.push(...step(zone(3)).map((e) => `${e.type}#${e.ticket.occurrences}`));
    expect(types).toEqual(['ticket.opened#1', 'ticket.updated#11', 'ticket.updated#21', 'ticket.updated#31']);
    outbox.close();
  });

  it('keeps one ticket per asset and opens a recurrence linked to the earlier ticket', () => {
    const { outbox, manager, step } = harness(validRules(ZONE_RULES));
    for (let i = 0; i < 12; i++) {
      step({ ...zone(3), assetId: 'pump-1' });
      step({ ...zone(3), assetId: 'pump-2' });
    }
    expect(
      manager
        .openTickets()
        .map((t) => t.assetId)
        .sort(),
    ).toEqual(['pump-1', 'pump-2']);
    const first = manager.openTickets().find((t) => t.assetId === 'pump-1');
    const later = [];
    for (let i = 0; i < 8; i++) later.push(...step({ ...zone(1), assetId: 'pump-1' }));
    for (let i = 0; i < 12; i++) later.push(...step({ ...zone(3.5), assetId: 'pump-1' }));
    expect(later.map((e) => e.type)).toEqual(['ticket.cleared', 'ticket.opened']);
    expect(later[1]?.ticket.id).not.toBe(first?.id);
    expect(later[1]?.ticket.previousTicketId).toBe(first?.id);
    outbox.close();
  });
});

/** A diagnosis from two sources (the finding and the 1× line), and a generic zone rule it explains. */
const UNBALANCE_RULES = `rules:
  - id: zone
    title: Vibration velocity in ISO 20816 zone C or D
    when: isoZone >= 'C'
    for: 10s
    keepFiring: 5s
    severity: medium
    fault: threshold
    explainedBy: [unbalance, misalignment]
    action: SOP-VIB-01
  - id: unbalance
    title: Unbalance (1× dominant)
    when: finding.unbalance >= 0.5
    clearWhen: finding.unbalance < 0.2
    for: 5s
    keepFiring: 5s
    severity: medium
    fault: unbalance
    action: SOP-VIB-02
  - id: strong-1x
    title: Strong 1× line
    when: order1xMmS > 4
    clearWhen: order1xMmS < 3
    for: 5s
    keepFiring: 5s
    severity: low
    fault: unbalance
    action: SOP-VIB-02
`;

const unbalanced = (confidence: number, channel = 'de'): Partial<Features> => ({
  channel,
  findings: { unbalance: confidence },
});
const summaryOf = (ticket: Ticket) =>
  (ticket.contributors ?? []).map((c) => [c.rule.id, c.channel, c.active, c.folded ? 'folded' : 'own']);

describe('one physical problem, one ticket', () => {
  it('keeps one ticket while either of two channels shows the fault, and clears it when both have', () => {
    const { outbox, manager, step } = harness(validRules(UNBALANCE_RULES));
    const events = [];
    for (let i = 0; i < 8; i++) events.push(...step(unbalanced(0.9, 'de')), ...step(unbalanced(0.9, 'nde')));
    // The drive end turns healthy; the non-drive end still shows it.
    for (let i = 0; i < 10; i++)
      events.push(...step(unbalanced(0.05, 'de')), ...step(unbalanced(0.9, 'nde')));
    // Both show it again, then the non-drive end recovers: still the same ticket.
    for (let i = 0; i < 8; i++) events.push(...step(unbalanced(0.9, 'de')), ...step(unbalanced(0.05, 'nde')));
    expect(events.map((e) => e.type)).toEqual([
      'ticket.opened', // de
      'ticket.updated', // nde joins
      'ticket.updated', // de clears, nde keeps it active
      'ticket.updated', // de fires again
      'ticket.updated', // nde clears
    ]);
    expect(new Set(events.map((e) => e.ticket.id)).size).toBe(1);
    const last = events.at(-1)!.ticket;
    expect(last.condition).toBe('active');
    expect(summaryOf(last)).toEqual([
      ['unbalance', 'de', true, 'own'],
      ['unbalance', 'nde', false, 'own'],
    ]);
    for (const e of events) expect(validTicket(e.ticket)).toBeTruthy();
    const de = last.contributors![0]!;
    expect(de).toMatchObject({
      rule: { id: 'unbalance' },
      severity: 'medium',
      summary: 'de: confidence 90 %',
    });
    expect(de.triggeringValues).toEqual([
      {
        metric: 'finding.unbalance',
        value: 0.9,
        threshold: 0.5,
        comparison: '>=',
        series: { channel: 'de', field: 'finding.unbalance', threshold: 0.5 },
      },
    ]);
    expect(de.reasoning[0]).toBe('condition: finding.unbalance >= 0.5 (channel de)');
    expect(last.title).toBe('pump-1: Unbalance (1× dominant), confidence 90 %');
    // Only when the last contributor clears does the ticket.
    const end = [];
    for (let i = 0; i < 8; i++) end.push(...step(unbalanced(0.05, 'de')));
    expect(end.map((e) => [e.type, e.ticket.id])).toEqual([['ticket.cleared', last.id]]);
    expect(manager.openTickets()).toEqual([]);
    outbox.close();
  });

  it('credits two rules of one fault on one ticket, its severity the highest of those firing', () => {
    const { outbox, step } = harness(validRules(UNBALANCE_RULES));
    const events = [];
    for (let i = 0; i < 7; i++) events.push(...step({ order1xMmS: 5 }));
    for (let i = 0; i < 7; i++) events.push(...step({ order1xMmS: 5, findings: { unbalance: 0.9 } }));
    // The finding fades first, the 1× line stays: the ticket stays, at the 1× rule's severity.
    for (let i = 0; i < 8; i++) events.push(...step({ order1xMmS: 5, findings: { unbalance: 0.1 } }));
    for (let i = 0; i < 8; i++) events.push(...step({ order1xMmS: 1, findings: { unbalance: 0.1 } }));
    expect(events.map((e) => [e.type, e.ticket.severity])).toEqual([
      ['ticket.opened', 'low'],
      ['ticket.updated', 'medium'],
      ['ticket.updated', 'low'],
      ['ticket.cleared', 'low'],
    ]);
    expect(new Set(events.map((e) => e.ticket.id)).size).toBe(1);
    expect(events[0]?.ticket.rule.id).toBe('strong-1x');
    expect(summaryOf(events[2]!.ticket)).toEqual([
      ['strong-1x', 'de', true, 'own'],
      ['unbalance', 'de', false, 'own'],
    ]);
    expect(events[2]?.ticket.priority).toBe('P4');
    outbox.close();
  });

  it('shares a threshold rule’s ticket between two channels of one asset', () => {
    const { outbox, step } = harness(validRules(ZONE_RULES));
    const events = [];
    for (let i = 0; i < 12; i++)
      events.push(...step({ ...zone(3), channel: 'de' }), ...step({ ...zone(3), channel: 'nde' }));
    for (let i = 0; i < 8; i++)
      events.push(...step({ ...zone(1), channel: 'de' }), ...step({ ...zone(3), channel: 'nde' }));
    expect(events.map((e) => e.type)).toEqual(['ticket.opened', 'ticket.updated', 'ticket.updated']);
    expect(summaryOf(events.at(-1)!.ticket)).toEqual([
      ['vel-zone', 'de', false, 'own'],
      ['vel-zone', 'nde', true, 'own'],
    ]);
    expect(events.at(-1)?.ticket.condition).toBe('active');
    outbox.close();
  });

  it('keeps its contributors across a restart on the same outbox file', () => {
    const rules = validRules(UNBALANCE_RULES);
    const first = harness(rules);
    for (let i = 0; i < 8; i++) {
      first.step(unbalanced(0.9, 'de'));
      first.step(unbalanced(0.9, 'nde'));
    }
    const [ticket] = first.manager.openTickets();
    first.outbox.close();

    const second = harness(rules, 60_000, { outboxPath: first.outboxPath, from: first.now() });
    expect(summaryOf(second.manager.openTickets()[0]!)).toEqual([
      ['unbalance', 'de', true, 'own'],
      ['unbalance', 'nde', true, 'own'],
    ]);
    const events = [];
    for (let i = 0; i < 8; i++)
      events.push(...second.step(unbalanced(0.05, 'de')), ...second.step(unbalanced(0.9, 'nde')));
    // The first window after a restart re-sends the ticket (as any restart does); the drive end
    // clearing then only updates it: the non-drive end's firing was restored from the file.
    expect(events.map((e) => [e.type, e.ticket.id, e.ticket.condition])).toEqual([
      ['ticket.updated', ticket!.id, 'active'],
      ['ticket.updated', ticket!.id, 'active'],
    ]);
    expect(summaryOf(events.at(-1)!.ticket)).toEqual([
      ['unbalance', 'de', false, 'own'],
      ['unbalance', 'nde', true, 'own'],
    ]);
    for (let i = 0; i < 8; i++) events.push(...second.step(unbalanced(0.05, 'nde')));
    expect(events.map((e) => e.type)).toEqual(['ticket.updated', 'ticket.updated', 'ticket.cleared']);
    second.outbox.close();
  });

  it('reads an outbox written before contributors existed: the open ticket’s rule and channel fire', () => {
    const path = join(tempDir(), 'outbox.db');
    const old = new Database(path);
    old.exec('CREATE TABLE open_tickets (problem_key TEXT PRIMARY KEY, ticket TEXT NOT NULL) STRICT');
    const legacy = sampleTicket({
      assetId: 'pump-1',
      fault: 'unbalance',
      rule: { id: 'unbalance', version: 'aaaaaaaaaaaa' },
    });
    delete legacy.contributors;
    old.prepare('INSERT INTO open_tickets VALUES (?, ?)').run('pump-1|unbalance', JSON.stringify(legacy));
    old.close();
    const { outbox, manager, step } = harness(validRules(UNBALANCE_RULES), 60_000, {
      outboxPath: path,
      from: T0,
    });
    expect(firingContributors(manager.openTickets()[0]!)).toEqual([
      { ruleId: 'unbalance', channel: legacy.evidence.channel },
    ]);
    const events = [];
    for (let i = 0; i < 8; i++) events.push(...step(unbalanced(0.9, 'nde')));
    expect(events.map((e) => [e.type, e.ticket.id])).toEqual([['ticket.updated', legacy.id]]);
    // The stored ticket's rule on its channel is its first contributor; the other channel joins it.
    expect(summaryOf(events[0]!.ticket)).toEqual([
      ['unbalance', 'de', true, 'own'],
      ['unbalance', 'nde', true, 'own'],
    ]);
    expect(validTicket(events[0]!.ticket)).toBeTruthy();
    outbox.close();
  });
});

describe('a symptom folded into its diagnosed cause', () => {
  const zoneAnd = (velocity: number, confidence: number): Partial<Features> => ({
    ...zone(velocity),
    findings: { unbalance: confidence },
  });

  it('diagnosis first: the zone joins the unbalance ticket as a folded contributor, no ticket of its own', () => {
    const { outbox, step } = harness(validRules(UNBALANCE_RULES));
    const events = [];
    for (let i = 0; i < 20; i++) events.push(...step(zoneAnd(3.2, 0.995)));
    for (let i = 0; i < 3; i++) events.push(...step(zoneAnd(7.9, 0.995)));
    expect(events.map((e) => [e.type, e.ticket.fault, e.ticket.severity])).toEqual([
      ['ticket.opened', 'unbalance', 'medium'],
      ['ticket.updated', 'unbalance', 'medium'], // the zone joins
      ['ticket.updated', 'unbalance', 'high'], // zone D escalates the diagnosed ticket
    ]);
    const ticket = events.at(-1)!.ticket;
    expect(ticket.title).toBe('pump-1: Unbalance (1× dominant), confidence 99 %');
    expect(summaryOf(ticket)).toEqual([
      ['unbalance', 'de', true, 'own'],
      ['zone', 'de', true, 'folded'],
    ]);
    const folded = ticket.contributors![1]!;
    expect(folded.summary).toBe('de: zone D (7.9 mm/s)');
    expect(folded.severity).toBe('high');
    expect(folded.folded?.reason).toMatch(
      /^explained by unbalance diagnosed on pump-1 \(ticket \w+; rule zone lists unbalance in explainedBy\)$/,
    );
    expect(ticket.evidence.reasoning.at(-1)).toBe(
      `folded in: zone on de: zone D (7.9 mm/s); ${folded.folded?.reason}`,
    );
    expect(validTicket(ticket)).toBeTruthy();
    outbox.close();
  });

  it('symptom first: its ticket clears into the diagnosed one; when the diagnosis clears, it raises its own again', () => {
    const { outbox, manager, step } = harness(validRules(UNBALANCE_RULES));
    const events = [];
    for (let i = 0; i < 12; i++) events.push(...step(zoneAnd(3.2, 0)));
    for (let i = 0; i < 8; i++) events.push(...step(zoneAnd(3.2, 0.9)));
    expect(events.map((e) => [e.type, e.ticket.fault])).toEqual([
      ['ticket.opened', 'threshold'],
      ['ticket.opened', 'unbalance'],
      ['ticket.cleared', 'threshold'],
    ]);
    const [zoneTicket, unbalance, folded] = events.map((e) => e.ticket);
    expect(zoneTicket?.title).toBe('pump-1: Vibration velocity in ISO 20816 zone C or D, zone C (3.2 mm/s)');
    expect(folded).toMatchObject({ id: zoneTicket?.id, condition: 'cleared', foldedInto: unbalance?.id });
    expect(folded?.evidence.reasoning.at(-1)).toMatch(new RegExp(`^folded into ticket ${unbalance?.id} `));
    expect(summaryOf(unbalance!)).toEqual([
      ['unbalance', 'de', true, 'own'],
      ['zone', 'de', true, 'folded'],
    ]);
    expect(unbalance?.contributors?.[1]?.folded?.fromTicketId).toBe(zoneTicket?.id);
    expect(manager.openTickets().map((t) => t.fault)).toEqual(['unbalance']);

    // The zone persisting raises nothing new while the diagnosis explains it.
    const later = [];
    for (let i = 0; i < 30; i++) later.push(...step(zoneAnd(3.2, 0.9)));
    expect(later).toEqual([]);
    // Balanced, yet still in zone C: the diagnosed ticket clears and the zone has its own ticket again.
    for (let i = 0; i < 8; i++) later.push(...step(zoneAnd(3.2, 0.05)));
    expect(later.map((e) => [e.type, e.ticket.fault])).toEqual([
      ['ticket.cleared', 'unbalance'],
      ['ticket.opened', 'threshold'],
    ]);
    expect(later[1]?.ticket.previousTicketId).toBe(zoneTicket?.id);
    expect(later[0]?.ticket.evidence.reasoning.at(-1)).toMatch(/^folded in: zone on de still holds/);
    for (const e of [...events, ...later]) expect(validTicket(e.ticket)).toBeTruthy();
    outbox.close();
  });
});

describe('a generic condition’s ticket from an older agent', () => {
  it('is folded too once a diagnosis explains it, after a restart', () => {
    const rules = validRules(UNBALANCE_RULES);
    const first = harness(rules);
    for (let i = 0; i < 12; i++) first.step({ ...zone(3.2), findings: { unbalance: 0 } });
    const [zoneTicket] = first.manager.openTickets();
    // As an agent without explainedBy stored it.
    first.outbox.saveOpenTicket('pump-1|threshold|zone', { ...zoneTicket!, contributors: undefined });
    first.outbox.close();

    const second = harness(rules, 60_000, { outboxPath: first.outboxPath, from: first.now() });
    const events = [];
    for (let i = 0; i < 10; i++) events.push(...second.step({ ...zone(3.2), findings: { unbalance: 0.9 } }));
    const cleared = events.find((e) => e.type === 'ticket.cleared');
    expect(cleared?.ticket).toMatchObject({ id: zoneTicket?.id, foldedInto: expect.any(String) });
    const host = second.manager.openTickets();
    expect(host.map((t) => [t.id, t.fault])).toEqual([[cleared?.ticket.foldedInto, 'unbalance']]);
    expect(host[0]?.contributors?.find((c) => c.rule.id === 'zone')).toMatchObject({
      active: true,
      folded: { fromTicketId: zoneTicket?.id },
    });
    second.outbox.close();
  });
});

describe('titles people read', () => {
  it('says what a process rule saw in plant language; the expression stays in the reasoning', () => {
    const rules = validRules(`rules:
  - id: spindle-coolant-starved
    title: Spindle overheating with low coolant flow
    when: spindle_temperature > 65 and coolant_flow < 12
    severity: high
    fault: overheating
    action: SOP-CNC-05
`);
    const { engine } = engineHarness(rules);
    const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
    const manager = new TicketManager({
      gatewayId: 'gw-1',
      site: 's1',
      outbox,
      updateIntervalMs: 60_000,
      slaMs: SLA,
      agentVersion: '0.1.0',
      configHash: '0123456789abcdef',
      now: () => T0,
    });
    engine.onReading(reading(T0, 'coolant_flow', 6.094));
    const [opened] = engine
      .onReading(reading(T0 + 1000, 'spindle_temperature', 92.36))
      .flatMap((o) => manager.apply(o));
    expect(opened?.ticket.title).toBe(
      'cnc-1: Spindle overheating with low coolant flow, spindle temperature 92 °C, above 65 °C; coolant flow 6.1 L/min, below 12 L/min',
    );
    expect(opened?.ticket.evidence.reasoning[0]).toBe(
      'condition: spindle_temperature > 65 and coolant_flow < 12 (channel spindle_temperature)',
    );
    expect(opened?.ticket.evidence.triggeringValues.map((t) => t.value)).toEqual([92.36, 6.094]);
    outbox.close();
  });
});
