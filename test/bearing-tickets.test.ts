import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../edge/outbox/outbox.js';
import { loadRules } from '../edge/rules/load-rules.js';
import { TicketManager } from '../edge/tickets/ticket-manager.js';
import { WaveformAnalyser } from '../edge/signal/waveform-analysis.js';
import { defaultRulesDir } from '../shared/paths.js';
import { type Asset, type OutboxEvent, Ticket, type Waveform } from '../shared/schema/index.js';
import { validator } from '../shared/validation.js';
import { CWRU_RECORDS, readF32 } from './helpers/bearing-data.js';
import { engineHarness, T0 } from './helpers/rules.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

afterAll(removeTempDirs);

const FS = 12_000;
const validTicket = validator(Ticket, 'ticket');

/**
 * Real CWRU drive-end recordings replayed as one-second waveforms (the record looped to 60 s, past
 * the bearing rules' pending period) through the edge's own signal step, the shipped rules and the
 * ticket manager, with the asset configured as the test rig: SKF 6205 at the record's speed.
 */
function replay(
  record: (typeof CWRU_RECORDS)[number],
  asset: Asset = { id: 'cwru-motor', bearing: 'skf-6205', rpm: record.rpm },
  speeds: number[] = [],
): OutboxEvent[] {
  const samples = readF32(record.file);
  const analyser = new WaveformAnalyser([asset]);
  const { engine } = engineHarness(loadRules(defaultRulesDir()).rules);
  let now = T0;
  const outbox = new Outbox(join(tempDir(), 'outbox.db'), 'gw-1');
  const tickets = new TicketManager({
    gatewayId: 'gw-1',
    site: 'cwru',
    outbox,
    updateIntervalMs: 3_600_000,
    slaMs: { critical: 3_600_000, high: 86_400_000, medium: 604_800_000, low: 2_592_000_000 },
    agentVersion: '0.1.0',
    configHash: '0123456789abcdef',
    now: () => now,
  });
  const events: OutboxEvent[] = [];
  const seconds = Math.floor(samples.length / FS);
  for (let s = 0; s < 60; s++) {
    const offset = (s % seconds) * FS;
    const waveform: Waveform = {
      ts: now,
      assetId: 'cwru-motor',
      channel: 'de',
      sampleRateHz: FS,
      unit: 'g',
      samples: Array.from(samples.subarray(offset, offset + FS)),
    };
    const analysis = analyser.analyse(waveform);
    if (analysis.features.rpm !== undefined) speeds.push(analysis.features.rpm);
    for (const outcome of engine.onFeatures(analysis.features, analysis.evidence)) {
      events.push(...tickets.apply(outcome));
    }
    now += 1000;
  }
  outbox.close();
  return events;
}

describe('bearing tickets from real recordings', () => {
  it('raises an outer-race ticket with the finding, the envelope spectrum and BPFO marked', () => {
    const events = replay(CWRU_RECORDS[2]);
    if (process.env.DUMP_TICKET) writeFileSync(process.env.DUMP_TICKET, JSON.stringify(events, null, 2));
    const opened = events.filter((e) => e.type === 'ticket.opened').map((e) => e.ticket);
    expect(opened.map((t) => t.fault)).toContain('outer_race');
    const ticket = opened.find((t) => t.fault === 'outer_race')!;
    expect(validTicket(ticket)).toBeTruthy();
    expect(ticket).toMatchObject({ rule: { id: 'bearing-outer-race' }, severity: 'high', priority: 'P2' });
    expect(ticket.evidence.confidence).toBeGreaterThanOrEqual(0.5);
    expect(ticket.evidence.finding?.fault).toBe('outer_race');
    // BPFO 3.5848 × 1773/60 = 105.9 Hz; the line found sits within the slip range.
    expect(ticket.evidence.finding?.frequencyHz).toBeGreaterThan(102);
    expect(ticket.evidence.finding?.frequencyHz).toBeLessThan(108);
    const envelope = ticket.evidence.envelopeSpectrum!;
    expect(envelope.marks?.find((m) => m.label === 'BPFO')?.hz).toBeCloseTo(105.93, 1);
    expect(JSON.stringify(ticket).length).toBeLessThan(64 * 1024);
    // No bearing fault other than the outer race is claimed.
    expect(opened.filter((t) => ['inner_race', 'rolling_element', 'cage'].includes(t.fault))).toEqual([]);
  });

  it('raises an inner-race ticket for the inner-race record', () => {
    const opened = replay(CWRU_RECORDS[1]).filter((e) => e.type === 'ticket.opened');
    expect(opened.map((e) => e.ticket.fault)).toContain('inner_race');
    expect(opened.map((e) => e.ticket.fault)).not.toContain('outer_race');
  });

  it('raises no bearing ticket for the healthy record', () => {
    const faults = replay(CWRU_RECORDS[0]).map((e) => e.ticket.fault);
    expect(faults.filter((f) => ['outer_race', 'inner_race', 'rolling_element', 'cage'].includes(f))).toEqual(
      [],
    );
  });

  it('finds the speed of a variable-speed asset from its rpmRange alone, and raises the outer-race ticket', () => {
    const speeds: number[] = [];
    const asset: Asset = { id: 'cwru-motor', bearing: 'skf-6205', rpmRange: { min: 1650, max: 1850 } };
    const opened = replay(CWRU_RECORDS[2], asset, speeds).filter((e) => e.type === 'ticket.opened');
    // Before rpmRange, an asset without a speed got broadband features only: no bearing ticket.
    expect(opened.map((e) => e.ticket.fault)).toContain('outer_race');
    expect(speeds).toHaveLength(60);
    // The motor turned at 1773 rpm (tachometer): every waveform's speed is found within 0.5 %.
    for (const rpm of speeds) expect(Math.abs(rpm / 1773 - 1)).toBeLessThan(0.005);
  });
});
