import { afterAll, describe, expect, it } from 'vitest';
import { Baselines } from './baselines.js';
import { openRuleStateDb } from './state-db.js';
import { predictionOf, type RuleOutcome } from './rule-engine.js';
import { Prediction } from '../../shared/schema/index.js';
import { validator } from '../../shared/validation.js';
import {
  engineHarness,
  reading,
  T0,
  THRESHOLD_RULE as THRESHOLD,
  validRules,
  window,
} from '../../test/helpers/rules.js';
import { removeTempDirs } from '../../test/helpers/stack.js';

afterAll(removeTempDirs);

const kinds = (outcomes: RuleOutcome[]) => outcomes.map((o) => `${o.rule.spec.id}:${o.kind}`);

const SPINDLE = `rules:
  - id: spindle-coolant
    title: Spindle hot, coolant low
    when: spindle_temperature > 65 and coolant_flow < 12
    clearWhen: spindle_temperature < 60
    for: 30s
    runningWhen: spindle_speed > 100
    severity: high
    fault: overheating
    action: SOP-CNC-05
`;

describe('condition rules on waveform features', () => {
  it('fires only after the pending period, once, and clears below the hysteresis level', () => {
    const { engine } = engineHarness(validRules(THRESHOLD));
    const at = (s: number, v: number) =>
      kinds(engine.onFeatures(window(T0 + s * 1000, { velocityRmsMmS: v })));
    expect(at(0, 5)).toEqual([]); // pending: 1 s of 2 s
    expect(at(1, 5)).toEqual(['vel-high:fire']); // held 2 s
    expect(at(2, 4)).toEqual([]); // below 4.5 but above clearBelow 2.8: still firing, not holding
    expect(at(3, 4.6)).toEqual(['vel-high:still-firing']);
    expect(at(4, 2.5)).toEqual(['vel-high:clear']);
    expect(at(5, 2.5)).toEqual([]);
  });

  it('restarts the pending period when the value dips, and keeps state per asset', () => {
    const { engine } = engineHarness(validRules(THRESHOLD));
    const at = (s: number, v: number, assetId = 'pump-1') =>
      kinds(engine.onFeatures(window(T0 + s * 1000, { velocityRmsMmS: v, assetId })));
    expect(at(0, 5)).toEqual([]);
    expect(at(1, 3)).toEqual([]);
    expect(at(2, 5)).toEqual([]);
    expect(at(2, 5, 'pump-2')).toEqual([]);
    expect(at(3, 5)).toEqual(['vel-high:fire']);
    expect(at(3, 5, 'pump-2')).toEqual(['vel-high:fire']);
  });

  it('keeps firing until the clear condition has held for the keep-firing period', () => {
    const rules = validRules(
      THRESHOLD.replace('    for: 2s\n', '    keepFiring: 5s\n').replace('    clearBelow: 2.8\n', ''),
    );
    const { engine } = engineHarness(rules);
    const at = (s: number, v: number) =>
      kinds(engine.onFeatures(window(T0 + s * 1000, { velocityRmsMmS: v })));
    expect(at(0, 5)).toEqual(['vel-high:fire']);
    // Dips for 3 s (shorter than keepFiring): no clear, and the re-rise is the same firing.
    for (const s of [1, 2, 3]) expect(at(s, 2)).toEqual([]);
    expect(at(4, 5)).toEqual(['vel-high:still-firing']);
    for (const s of [5, 6, 7, 8]) expect(at(s, 2)).toEqual([]);
    expect(at(9, 2)).toEqual(['vel-high:clear']); // clear held from 5 s to 10 s
  });

  it('compares ISO zones and escalates the severity in zone D', () => {
    const rules = validRules(`rules:
  - id: zone
    title: Zone C or worse
    when: isoZone >= 'C'
    severity: medium
    fault: threshold
    action: a
`);
    const { engine } = engineHarness(rules);
    expect(engine.onFeatures(window(T0, { isoZone: 'B' }))).toEqual([]);
    const [c] = engine.onFeatures(window(T0 + 1000, { isoZone: 'C', velocityRmsMmS: 3 }));
    expect(c).toMatchObject({ kind: 'fire', severity: 'medium' });
    const [d] = engine.onFeatures(window(T0 + 2000, { isoZone: 'D', velocityRmsMmS: 5 }));
    expect(d).toMatchObject({ kind: 'still-firing', severity: 'high' });
    expect(d?.evidence().triggeringValues).toEqual([
      {
        metric: 'isoZone',
        value: 'D',
        threshold: 'C',
        comparison: '>=',
        // No machine class given to this engine: the zone's own index, C = 2.
        series: { channel: 'de', field: 'isoZoneIndex', threshold: 2 },
      },
    ]);
  });

  it('uses the diagnosis findings as confidence and names another channel', () => {
    const rules = validRules(`rules:
  - id: outer
    title: Outer race
    when: finding.outer_race >= 0.5 and de.kurtosis > nde.kurtosis
    severity: high
    fault: outer_race
    action: a
`);
    const { engine } = engineHarness(rules);
    engine.onFeatures(window(T0, { channel: 'nde', kurtosis: 3 }));
    const [outcome] = engine.onFeatures(window(T0 + 500, { kurtosis: 5, findings: { outer_race: 0.8 } }));
    expect(outcome?.kind).toBe('fire');
    const evidence = outcome?.evidence();
    expect(evidence?.confidence).toBe(0.8);
    expect(evidence?.reasoning.slice(0, 3)).toEqual([
      'condition: finding.outer_race >= 0.5 and de.kurtosis > nde.kurtosis (channel de)',
      '  finding.outer_race = 0.8 >= 0.5: holds',
      '  de.kurtosis = 5 > 3: holds',
    ]);
  });
});

describe('multi-signal rules on readings', () => {
  it('fires the spindle case only while the spindle runs and both conditions hold for the pending period', () => {
    const { engine } = engineHarness(validRules(SPINDLE));
    const feed = (s: number, temperature: number, flow: number, speed: number) => [
      ...engine.onReading(reading(T0 + s * 1000, 'spindle_speed', speed, { unit: 'rpm' })),
      ...engine.onReading(reading(T0 + s * 1000, 'spindle_temperature', temperature)),
      ...engine.onReading(reading(T0 + s * 1000, 'coolant-flow', flow)),
    ];
    // Hot with low flow, but the spindle stands still: no evaluation, so no pending period either.
    for (let s = 0; s <= 40; s += 5) expect(kinds(feed(s, 70, 8, 0))).toEqual([]);
    // Running, hot, but flow fine: nothing.
    for (let s = 45; s <= 90; s += 5) expect(kinds(feed(s, 70, 15, 3000))).toEqual([]);
    // Both hold from 95 s: fires once 30 s have passed.
    const fired: string[] = [];
    for (let s = 95; s <= 130; s += 5)
      fired.push(...kinds(feed(s, 70, 8, 3000)).filter((k) => !k.endsWith('still-firing')));
    expect(fired).toEqual(['spindle-coolant:fire']);
    const outcome = feed(135, 70, 8, 3000).find((o) => o.kind === 'still-firing');
    expect(outcome?.channel).toBe('spindle_temperature');
    expect(outcome?.evidence().triggeringValues).toEqual([
      {
        metric: 'spindle_temperature',
        value: 70,
        threshold: 65,
        comparison: '>',
        unit: '°C',
        series: { channel: 'spindle_temperature', field: 'value', threshold: 65 },
      },
      {
        metric: 'coolant_flow',
        value: 8,
        threshold: 12,
        comparison: '<',
        unit: 'L/min',
        series: { channel: 'coolant_flow', field: 'value', threshold: 12 },
      },
    ]);
    // Flow back but still hot (above the clear level 60): stays firing; cooled down: clears.
    expect(kinds(feed(140, 63, 15, 3000))).not.toContain('spindle-coolant:clear');
    expect(kinds(feed(145, 58, 15, 3000))).toContain('spindle-coolant:clear');
  });

  it('treats stale and bad-quality readings as unknown: no fault from missing data', () => {
    const { engine } = engineHarness(validRules(SPINDLE), { staleAfterMs: 10_000 });
    const all: RuleOutcome[] = [];
    // Flow reported low once, then the flow sensor goes silent while temperature keeps coming.
    all.push(...engine.onReading(reading(T0, 'coolant_flow', 8)));
    for (let s = 0; s <= 120; s += 5) {
      all.push(...engine.onReading(reading(T0 + s * 1000, 'spindle_speed', 3000, { unit: 'rpm' })));
      all.push(...engine.onReading(reading(T0 + s * 1000, 'spindle_temperature', 80)));
    }
    expect(kinds(all)).toEqual([]);
    // A bad-quality flow value does not count either.
    for (let s = 125; s <= 200; s += 5) {
      all.push(...engine.onReading(reading(T0 + s * 1000, 'coolant_flow', 2, { quality: 'bad' })));
      all.push(...engine.onReading(reading(T0 + s * 1000, 'spindle_temperature', 80)));
      all.push(...engine.onReading(reading(T0 + s * 1000, 'spindle_speed', 3000, { unit: 'rpm' })));
    }
    expect(kinds(all)).toEqual([]);
  });
});

describe('no data', () => {
  it('raises sensor_fault for a channel silent past the limit, and clears when it speaks again', () => {
    const rules = validRules(`rules:
  - id: silent
    title: Sensor silent
    noData: 2m
    severity: medium
    fault: sensor_fault
    action: a
`);
    const { engine, wall } = engineHarness(rules);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    wall.now += 119_000;
    expect(engine.checkSilence()).toEqual([]);
    wall.now += 2000;
    const [silent] = engine.checkSilence();
    expect(silent).toMatchObject({ kind: 'fire', assetId: 'cnc-1', channel: 'spindle_temperature' });
    expect(silent?.rule.spec.fault).toBe('sensor_fault');
    expect(silent?.evidence().reasoning[0]).toMatch(
      /^no good value from channel spindle_temperature for 121 s/,
    );
    wall.now += 5000;
    expect(kinds(engine.checkSilence())).toEqual(['silent:still-firing']);
    // Bad-quality values are no sign of life.
    engine.onReading(reading(T0, 'spindle_temperature', 40, { quality: 'bad' }));
    expect(kinds(engine.checkSilence())).toEqual(['silent:still-firing']);
    engine.onReading(reading(T0, 'spindle_temperature', 40));
    expect(kinds(engine.checkSilence())).toEqual(['silent:clear']);
  });
});

describe('baselines', () => {
  const BASELINE = `rules:
  - id: bpfo-baseline
    title: BPFO envelope above baseline
    when: bpfoEnvelopeSnr > 4 * baseline(bpfoEnvelopeSnr)
    runningWhen: rpm > 100
    baseline:
      learn: 1h
      minSamples: 10
    severity: low
    fault: threshold
    action: a
`;

  it('learns the median of the first hour of running, survives a restart, and fires at four times it', () => {
    const rules = validRules(BASELINE);
    const first = engineHarness(rules);
    // 50 minutes of healthy running (SNR around 2), plus stops that must not count.
    for (let m = 0; m < 50; m++) {
      first.engine.onFeatures(window(T0 + m * 60_000, { bpfoEnvelopeSnr: 1.5 + (m % 3) * 0.5 }));
      first.engine.onFeatures(window(T0 + m * 60_000 + 30_000, { bpfoEnvelopeSnr: 50, rpm: 0 }));
    }
    expect(first.baselines.list()[0]).toMatchObject({ state: 'learning', samples: 50 });
    first.baselines.flush();
    first.db.close();

    // The agent restarts: learning continues where it stopped.
    const second = engineHarness(rules, { dbPath: first.dbPath });
    expect(second.baselines.list()[0]).toMatchObject({ state: 'learning', samples: 50 });
    // A high value while still learning fires nothing: the baseline is unknown.
    expect(second.engine.onFeatures(window(T0 + 55 * 60_000, { bpfoEnvelopeSnr: 30 }))).toEqual([]);
    for (let m = 56; m <= 61; m++) second.engine.onFeatures(window(T0 + m * 60_000, { bpfoEnvelopeSnr: 2 }));
    expect(second.baselines.list()[0]).toMatchObject({ state: 'learned', value: 2 });
    expect(second.engine.onFeatures(window(T0 + 62 * 60_000, { bpfoEnvelopeSnr: 7.9 }))).toEqual([]);
    const [fired] = second.engine.onFeatures(window(T0 + 63 * 60_000, { bpfoEnvelopeSnr: 8.5 }));
    expect(fired?.kind).toBe('fire');
    expect(fired?.evidence().triggeringValues).toEqual([
      {
        metric: 'bpfoEnvelopeSnr',
        value: 8.5,
        threshold: 8,
        comparison: '>',
        series: { channel: 'de', field: 'bpfoEnvelopeSnr', threshold: 8 },
      },
    ]);
    second.db.close();

    // The learned value is in SQLite, not only in memory.
    const reopened = openRuleStateDb(first.dbPath);
    expect(new Baselines(reopened).value('pump-1', 'de', 'bpfoEnvelopeSnr', 3_600_000)).toBe(2);
    reopened.close();
  });
});

describe('trend prediction', () => {
  it('leaves out a daily rate too large for a number, so the cloud accepts the ticket', () => {
    // A fault that appears within seconds: exponential growth per day overflows (before: ratePerDay
    // Infinity → null in JSON → the cloud refused the ticket and the event was set aside).
    const prediction = predictionOf(
      { metric: { key: 'velocityRmsMmS' } as never, threshold: 4.5 },
      {
        model: 'exponential',
        etaMs: Date.parse('2026-03-02T08:00:00Z'),
        earliestMs: Date.parse('2026-03-02T07:59:00Z'),
        latestMs: undefined,
        level: 3.1,
        ratePerDay: Infinity,
        points: 14,
        spanMs: 60_000,
      },
    );
    expect(prediction.ratePerDay).toBeUndefined();
    expect(prediction.level).toBe(3.1);
    const check = validator(Prediction, 'prediction');
    expect(() => check(JSON.parse(JSON.stringify(prediction)))).not.toThrow();
  });

  const TREND = `rules:
  - id: vel-trend
    title: Velocity trending into zone D
    trend:
      metric: velocityRmsMmS
      threshold: 4.5
      model: exponential
      history: 3d
      horizon: 7d
      minPoints: 20
    runningWhen: rpm > 100
    severity: medium
    fault: threshold
    action: a
`;

  it('raises a predicted ticket with an ETA and interval before the threshold is crossed, and updates it', () => {
    const { engine } = engineHarness(validRules(TREND));
    // A defect grows 8 %/day from 1 mm/s: 4.5 mm/s is reached after ln(4.5)/ln(1.08) = 19.5 days.
    const truthDays = Math.log(4.5) / Math.log(1.08);
    let seed = 42;
    const noise = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return 1 + 0.1 * (seed / 2 ** 31 - 0.5);
    };
    const outcomes: RuleOutcome[] = [];
    let firedAtDay: number | undefined;
    for (let minute = 0; minute < 25 * 1440; minute += 10) {
      const day = minute / 1440;
      const velocity = 1.08 ** day * noise();
      const found = engine.onFeatures(window(T0 + minute * 60_000, { velocityRmsMmS: velocity }));
      outcomes.push(...found);
      if (firedAtDay === undefined && found.some((o) => o.kind === 'fire')) firedAtDay = day;
    }
    const fire = outcomes.find((o) => o.kind === 'fire');
    expect(fire?.prediction).toBeDefined();
    // Fired roughly a horizon (7 d) before the crossing, and well before the crossing itself.
    expect(firedAtDay).toBeGreaterThan(truthDays - 9);
    expect(firedAtDay).toBeLessThan(truthDays - 5);
    const eta = Date.parse(fire!.prediction!.eta);
    const truth = T0 + truthDays * 86_400_000;
    expect(Math.abs(eta - truth)).toBeLessThan(1.5 * 86_400_000);
    expect(Date.parse(fire!.prediction!.intervalStart)).toBeLessThanOrEqual(eta);
    expect(fire?.prediction).toMatchObject({
      metric: 'velocityRmsMmS',
      threshold: 4.5,
      model: 'exponential',
    });
    // The ticket is updated as the estimate moves: later outcomes carry fresh predictions.
    const updates = outcomes.filter((o) => o.kind === 'still-firing');
    expect(updates.length).toBeGreaterThan(10);
    expect(new Set(updates.map((o) => o.prediction?.eta)).size).toBeGreaterThan(5);
    expect(fire?.evidence().reasoning[1]).toMatch(/^projected to reach 4.5 mm\/s at /);
  });

  it('predicts nothing for a healthy machine with noise', () => {
    const { engine } = engineHarness(validRules(TREND));
    let fired = 0;
    for (let minute = 0; minute < 10 * 1440; minute += 10) {
      const velocity = 1.2 + 0.2 * Math.sin(minute / 97) + 0.1 * Math.sin(minute / 13);
      fired += engine.onFeatures(window(T0 + minute * 60_000, { velocityRmsMmS: velocity })).length;
    }
    expect(fired).toBe(0);
  });
});
