import { afterAll, describe, expect, it } from 'vitest';
import { Reading, ReadingPayload } from '../../shared/schema/index.js';
import { validator } from '../../shared/validation.js';
import { LatestSignals } from '../latest-signals.js';
import { engineHarness, reading, T0, validRules } from '../../test/helpers/rules.js';
import { removeTempDirs } from '../../test/helpers/stack.js';
import type { RuleOutcome } from './rule-engine.js';
import { isSourceOffline, SOURCE_OFFLINE_REASONS } from './source-offline.js';

afterAll(removeTempDirs);

const kinds = (outcomes: RuleOutcome[]) => outcomes.map((o) => `${o.channel}:${o.kind}`);

/** The shipped `sensor-silent` rule's watch: two minutes without a good value. */
const SILENT = validRules(`rules:
  - id: sensor-silent
    title: Sensor silent
    noData: 2m
    severity: medium
    fault: sensor_fault
    action: a
`);

const MINUTE = 60_000;
const dead = (t: number, channel: string) =>
  reading(t, channel, Number.NaN, { quality: 'bad', qualityReason: 'node_death' });

describe('isSourceOffline', () => {
  it('is true only for a bad reading whose reason says its source is offline', () => {
    for (const qualityReason of SOURCE_OFFLINE_REASONS)
      expect(isSourceOffline({ quality: 'bad', qualityReason })).toBe(true);
    expect(isSourceOffline({ quality: 'bad' })).toBe(false);
    expect(isSourceOffline({ quality: 'uncertain', qualityReason: 'node_death' })).toBe(false);
    expect(isSourceOffline({ qualityReason: 'connection_lost' })).toBe(false);
  });

  it('is part of an agent reading, not of what an MQTT publisher may send', () => {
    expect(() =>
      validator(
        Reading,
        'reading',
      )({ ...reading(T0, 'flow', 1), quality: 'bad', qualityReason: 'node_death' }),
    ).not.toThrow();
    expect(() =>
      validator(ReadingPayload, 'reading payload')({ value: 1, unit: 'L/min', qualityReason: 'node_death' }),
    ).toThrow(/qualityReason/);
  });
});

describe('noData and offline sources', () => {
  it('does not fire for a channel whose source is offline, however long it stays down', () => {
    const { engine, wall } = engineHarness(SILENT);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    wall.now += 10_000;
    engine.onReading(dead(T0 + 10_000, 'spindle_temperature'));
    for (let m = 1; m <= 60; m++) {
      wall.now += MINUTE;
      expect(engine.checkSilence()).toEqual([]);
    }
  });

  it('still fires for the same channel silent while its source is up', () => {
    const { engine, wall } = engineHarness(SILENT);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    engine.onReading(reading(T0, 'coolant_flow', 12));
    wall.now += 10_000;
    // Bad without a reason: the source is up, the sensor is the suspect.
    engine.onReading(reading(T0 + 10_000, 'spindle_temperature', 40, { quality: 'bad' }));
    wall.now += 2 * MINUTE;
    // coolant_flow sent nothing at all: silent just the same.
    expect(kinds(engine.checkSilence())).toEqual(['spindle_temperature:fire', 'coolant_flow:fire']);
  });

  it('counts a silence from when the source came back, and lets nothing of the outage linger', () => {
    const { engine, wall } = engineHarness(SILENT);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    engine.onReading(dead(T0, 'spindle_temperature'));
    wall.now += 30 * MINUTE;
    expect(engine.checkSilence()).toEqual([]);
    // Back: one good value, then the sensor falls silent. Two minutes later, and not before, it fires.
    engine.onReading(reading(T0 + 30 * MINUTE, 'spindle_temperature', 41));
    wall.now += 119_000;
    expect(engine.checkSilence()).toEqual([]);
    wall.now += 2000;
    const [fired] = engine.checkSilence();
    expect(fired).toMatchObject({ kind: 'fire', windowStart: T0 + 30 * MINUTE });
    expect(fired?.evidence().reasoning[0]).toMatch(/for 121 s \(limit 2m\)/);
  });

  it('does not count the outage when the source comes back with bad values', () => {
    const { engine, wall } = engineHarness(SILENT);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    engine.onReading(dead(T0, 'spindle_temperature'));
    wall.now += 30 * MINUTE;
    const backAt = wall.now;
    engine.onReading(reading(backAt, 'spindle_temperature', 0, { quality: 'bad' }));
    wall.now += MINUTE;
    expect(engine.checkSilence()).toEqual([]);
    wall.now += MINUTE + 1000;
    const [fired] = engine.checkSilence();
    expect(fired).toMatchObject({ kind: 'fire', windowStart: backAt });
    expect(fired?.evidence().reasoning[0]).toMatch(
      /for 121 s since its source came back online at 2026-11-24T06:30:00/,
    );
  });

  it('keeps an open sensor_fault open while the source is offline, and clears it on good values', () => {
    const { engine, wall } = engineHarness(SILENT);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    wall.now += 3 * MINUTE;
    expect(kinds(engine.checkSilence())).toEqual(['spindle_temperature:fire']);
    engine.onReading(dead(T0 + 3 * MINUTE, 'spindle_temperature'));
    wall.now += 10 * MINUTE;
    // Missing data never clears a fault, and never raises it again.
    expect(engine.checkSilence()).toEqual([]);
    engine.onReading(reading(T0 + 13 * MINUTE, 'spindle_temperature', 40));
    expect(kinds(engine.checkSilence())).toEqual(['spindle_temperature:clear']);
  });

  it('works the same on the pipeline path (shared signals, evaluateReading)', () => {
    const signals = new LatestSignals();
    const { engine, wall } = engineHarness(SILENT, { signals });
    const feed = (r: Reading) => {
      signals.recordReading(r, wall.now);
      engine.evaluateReading(r);
    };
    feed(reading(T0, 'flow', 10));
    feed(reading(T0, 'pressure', 3, { unit: 'bar' }));
    feed({ ...dead(T0, 'flow'), qualityReason: 'connection_lost' });
    wall.now += 5 * MINUTE;
    expect(kinds(engine.checkSilence())).toEqual(['pressure:fire']);
  });
});
