import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { diagnoseRecord } from '../../edge/signal/diagnosis.js';
import { measureLeadTime } from './lead-time.js';
import { loadScenario, severityAt, shippedScenarioNames } from './scenario-file.js';
import { scenarioMeasurements } from './scenario-waveforms.js';
import { type FaultKind, MachineModel } from '../vibration/machine-model.js';
import { FileError } from '../../shared/yaml-file.js';
import { removeTempDirs, tempDir } from '../../test/helpers/stack.js';

afterAll(removeTempDirs);

const RPM = 1780;
const FS = 12_800;
const SHAFT_HZ = RPM / 60;
const bearing = defectMultiples(catalogBearing('skf-6205').geometry);

/** Four 8192-sample windows of the model, as the scenarios configure it, through the offline diagnosis. */
function diagnose(fault: FaultKind, severity: number, seed = 5) {
  const model = new MachineModel({
    rpm: RPM,
    sampleRateHz: FS,
    fault,
    bearing,
    resonances: [
      { hz: 3000, damping: 0.05, gain: 1 },
      { hz: 4200, damping: 0.04, gain: 0.5 },
      { hz: 650, damping: 0.08, gain: 0.1 },
    ],
    slipJitter: 0.015,
    seed,
  });
  return diagnoseRecord(model.nextFrame(4 * 8192, severity), {
    sampleRateHz: FS,
    rpm: RPM,
    unit: 'g',
    bearing,
  });
}

describe('machine model: defect lines where the bearing geometry puts them', () => {
  it.each([
    ['outer-race', 'outer_race', bearing.bpfo],
    ['inner-race', 'inner_race', bearing.bpfi],
    ['rolling-element', 'rolling_element', 2 * bearing.bsf],
  ] as const)(
    '%s at severity 0.3: the diagnosis finds %s at the catalog frequency ±1 %%',
    (fault, expected, multiple) => {
      const diagnosis = diagnose(fault, 0.3);
      const top = diagnosis.findings[0]!;
      expect(top.fault).toBe(expected);
      expect(top.confidence).toBeGreaterThanOrEqual(0.6);
      expect(Math.abs(top.frequencyHz / (multiple * SHAFT_HZ) - 1)).toBeLessThan(0.01);
    },
  );

  it('a healthy machine has no bearing finding and stays in zone A', () => {
    const diagnosis = diagnose('healthy', 1);
    expect(diagnosis.findings).toEqual([]);
    expect(diagnosis.features.isoZone).toBe('A');
  });

  it('misalignment: 2× above 1×, some 3×, diagnosed as misalignment', () => {
    const diagnosis = diagnose('misalignment', 0.6);
    const orders = diagnosis.features.runningSpeedMmS;
    expect(orders['2x']).toBeGreaterThan(orders['1x']);
    expect(orders['3x']).toBeGreaterThan(0);
    expect(diagnosis.findings[0]?.fault).toBe('misalignment');
  });

  it('looseness: many harmonics and half orders, diagnosed as looseness', () => {
    expect(diagnose('looseness', 0.8).findings[0]?.fault).toBe('looseness');
  });

  it('is seeded: the same seed gives the same samples', () => {
    const frame = (seed: number) =>
      new MachineModel({ rpm: RPM, sampleRateHz: FS, fault: 'inner-race', seed }).nextFrame(4096, 0.5);
    expect(frame(9)).toEqual(frame(9));
    expect(frame(9)).not.toEqual(frame(10));
  });
});

describe('scenario files', () => {
  it('ships the run-to-failure scenarios, each valid', () => {
    const names = shippedScenarioNames();
    expect(names).toEqual(
      expect.arrayContaining([
        'bearing-outer-race-run-to-failure',
        'inner-race-run-to-failure',
        'unbalance-growth',
      ]),
    );
    for (const name of names) expect(() => loadScenario(name)).not.toThrow();
  });

  it('severity grows from nothing at onset to 1 at failure', () => {
    const scenario = loadScenario('bearing-outer-race-run-to-failure');
    expect(severityAt(scenario, scenario.onsetMs - 1)).toBe(0);
    expect(severityAt(scenario, scenario.onsetMs)).toBeGreaterThan(0);
    expect(severityAt(scenario, scenario.onsetMs)).toBeLessThan(0.01);
    expect(severityAt(scenario, scenario.failureMs)).toBe(1);
    const times = [...scenarioMeasurements({ ...scenario, failureMs: scenario.intervalMs }, 1_000_000)].map(
      (m) => m.waveform.ts,
    );
    expect(times).toEqual([1_000_000, 1_000_000 + scenario.intervalMs]);
  });

  it('rejects a bad scenario with file:line errors', () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(
      file,
      [
        'asset: pump-1',
        'rpm: 1780',
        'fault: outer-race',
        'onset: 2d',
        'failure: 20 days',
        'growth: { law: exponential }',
        'sampleRateHz: 12800',
        'samplesPerWaveform: 8192',
        'interval: 10m',
        'sed: 4',
      ].join('\n'),
    );
    let error: unknown;
    try {
      loadScenario(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileError);
    const message = (error as FileError).message;
    expect(message).toMatch(new RegExp(`${file}:5: failure: `));
    expect(message).toMatch(new RegExp(`${file}:6: growth`));
    expect(message).toMatch(new RegExp(`${file}:\\d+: .*sed`));
  });

  it('rejects a failure before onset and an unknown bearing, naming the lines', () => {
    const file = join(tempDir(), 'order.yaml');
    writeFileSync(
      file,
      'asset: pump-1\nrpm: 1780\nbearing: skf-9999\nfault: inner-race\nonset: 5d\nfailure: 2d\n' +
        'growth: { law: linear }\nsampleRateHz: 12800\nsamplesPerWaveform: 8192\ninterval: 10m\n',
    );
    expect(() => loadScenario(file)).toThrow(new RegExp(`${file}:3: bearing: unknown bearing 'skf-9999'`));
    expect(() => loadScenario(file)).toThrow(new RegExp(`${file}:6: failure: must come after onset`));
  });
});

describe('lead time: scenarios end to end through the edge agent and the cloud', () => {
  it(
    'outer race to failure: a predicted ticket ≥ 24 h before failure, nothing before onset',
    { timeout: 90_000 },
    async () => {
      // One waveform an hour keeps the run to ~480 waveforms.
      const scenario = { ...loadScenario('bearing-outer-race-run-to-failure'), intervalMs: 3_600_000 };
      const report = await measureLeadTime(scenario);
      expect(report.ticketsBeforeOnset).toEqual([]);
      expect(report.firstPredicted?.ruleId).toBe('velocity-trend-zone-d');
      expect(report.firstPredicted!.leadH).toBeGreaterThanOrEqual(24);
      // The predicted ticket comes before the level itself reaches zone C or D.
      const zone = report.tickets.find((t) => t.ruleId === 'velocity-iso-zone');
      expect(zone && zone.atH).toBeGreaterThan(report.firstPredicted!.atH);
      // The envelope sees the defect itself earlier still: a bearing ticket after onset, before failure.
      expect(report.tickets.some((t) => t.fault === 'outer_race' && t.atH > report.onsetH)).toBe(true);
      expect(report.meetsGoal).toBe(true);
    },
  );

  it(
    'unbalance growth: the predicted ticket comes before the first fired one',
    { timeout: 90_000 },
    async () => {
      const scenario = { ...loadScenario('unbalance-growth'), intervalMs: 3_600_000 };
      const report = await measureLeadTime(scenario);
      expect(report.ticketsBeforeOnset).toEqual([]);
      expect(report.firstPredicted).toBeDefined();
      expect(report.firstFired).toBeDefined();
      expect(report.firstPredicted!.atH).toBeLessThan(report.firstFired!.atH);
      expect(report.meetsGoal).toBe(true);
    },
  );
});
