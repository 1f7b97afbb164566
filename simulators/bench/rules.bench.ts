import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Baselines } from '../../edge/rules/baselines.js';
import { loadRules } from '../../edge/rules/load-rules.js';
import { RuleEngine } from '../../edge/rules/rule-engine.js';
import { openRuleStateDb } from '../../edge/rules/state-db.js';
import { TrendHistories } from '../../edge/rules/trend-histories.js';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { planDiagnosis, WindowDiagnoser } from '../../edge/signal/diagnosis.js';
import type { Features } from '../../shared/schema/index.js';
import { formatProblem } from '../../shared/yaml-file.js';
import { bearingSignal, CHANNEL_RATE_HZ } from './analysis.bench.js';
import { type BenchResult, opsPerSecond, result } from './measure.js';

const ASSETS = 1000;
const WINDOW = 4096;

/** Twenty rules of the kinds a site runs: thresholds, zones, findings, multi-signal, baseline, trend. */
function twentyRules(): string {
  const rule = (id: string, body: string, fault = 'threshold') =>
    `  - id: ${id}\n    title: ${id}\n${body}    severity: medium\n    fault: ${fault}\n    action: SOP\n`;
  const rules = [
    rule('zone', "    when: isoZone >= 'C'\n    for: 10s\n    keepFiring: 1m\n    runningWhen: rpm > 100\n"),
    rule('kurtosis', '    metric: kurtosis\n    above: 6\n    clearBelow: 4\n    for: 10s\n'),
    rule('crest', '    metric: crestFactor\n    above: 8\n    for: 10s\n'),
    rule('peak', '    metric: accelPeak\n    above: 20\n'),
    rule('velocity', '    metric: velocityRmsMmS\n    above: 7.1\n    clearBelow: 4.5\n    for: 30s\n'),
    rule('order1', '    when: order1xMmS > 3 and order1xMmS > 2 * order2xMmS\n    for: 1m\n'),
    rule('order2', '    when: order2xMmS > 0.8 * order1xMmS and velocityRmsMmS > 2.8\n    for: 1m\n'),
    rule(
      'outer',
      '    when: finding.outer_race >= 0.5\n    clearWhen: finding.outer_race < 0.2\n    for: 30s\n',
      'outer_race',
    ),
    rule(
      'inner',
      '    when: finding.inner_race >= 0.5\n    clearWhen: finding.inner_race < 0.2\n    for: 30s\n',
      'inner_race',
    ),
    rule('ball', '    when: finding.rolling_element >= 0.5\n    for: 60s\n', 'rolling_element'),
    rule('cage', '    when: finding.cage >= 0.5\n    for: 60s\n', 'cage'),
    rule('unbalance', '    when: finding.unbalance >= 0.5\n    for: 60s\n', 'unbalance'),
    rule('misalign', '    when: finding.misalignment >= 0.5\n    for: 60s\n', 'misalignment'),
    rule('loose', '    when: finding.looseness >= 0.5\n    for: 60s\n', 'looseness'),
    rule('bpfo-snr', '    when: bpfoEnvelopeSnr > 6 or bpfiEnvelopeSnr > 6\n    for: 30s\n'),
    rule(
      'bpfo-baseline',
      '    when: bpfoEnvelopeSnr > 4 * baseline(bpfoEnvelopeSnr)\n    runningWhen: rpm > 100\n    baseline:\n      learn: 1h\n',
    ),
    rule(
      'hot-and-loud',
      '    when: bearing_temperature > 85 and velocityRmsMmS > 2.8\n    for: 2m\n',
      'overheating',
    ),
    rule('not-running-but-loud', '    when: not (rpm > 100) and accelRms > 1\n'),
    rule('abs-drift', '    when: abs(kurtosis - 3) > 4 and max(crestFactor, 5) > 6\n'),
    rule(
      'trend',
      '    trend:\n      metric: velocityRmsMmS\n      threshold: 4.5\n      history: 3d\n      horizon: 14d\n',
    ),
  ];
  return `rules:\n${rules.join('')}`;
}

/**
 * The rule step for 1,000 assets × 20 rules, against the signal step (one diagnosis of a window)
 * measured in the same run. One window through the rule step evaluates all 20 rules for its asset.
 */
export async function benchRules(dir: string): Promise<BenchResult[]> {
  const rulesDir = join(dir, 'bench-rules');
  mkdirSync(rulesDir, { recursive: true });
  writeFileSync(join(rulesDir, 'rules.yaml'), twentyRules());
  const set = loadRules(rulesDir);
  if (set.problems.length > 0) throw new Error(set.problems.map(formatProblem).join('\n'));
  const db = openRuleStateDb(join(dir, 'bench-rule-state.db'));
  const engine = new RuleEngine({
    baselines: new Baselines(db),
    trendHistories: new TrendHistories(db),
    staleAfterMs: 60_000,
    baselineLearnMs: 3_600_000,
  });
  engine.setRules(set.rules);

  let t = Date.parse('2026-11-24T00:00:00Z');
  const windows: Features[] = Array.from({ length: ASSETS }, (_, i) => ({
    ts: t,
    assetId: `pump-${i}`,
    channel: 'de',
    windowStart: t,
    windowEnd: t + 160,
    sampleRateHz: CHANNEL_RATE_HZ,
    accelUnit: 'g',
    accelRms: 0.3,
    accelPeak: 1.1,
    velocityRmsMmS: 1.2 + (i % 7) * 0.1,
    crestFactor: 3.6,
    kurtosis: 3.1,
    rpm: 2980,
    isoZone: 'A',
    order1xMmS: 0.8,
    order2xMmS: 0.2,
    order3xMmS: 0.1,
    bpfoEnvelopeSnr: 1.8,
    bpfiEnvelopeSnr: 1.5,
    bsfEnvelopeSnr: 1.4,
    ftfEnvelopeSnr: 2.1,
    findings: {},
  }));
  let next = 0;
  const ruleWindowsPerSecond = await opsPerSecond(() => {
    const window = windows[next]!;
    if (++next === ASSETS) {
      next = 0;
      t += 160;
    }
    window.ts = window.windowStart = t;
    window.windowEnd = t + 160;
    return engine.onFeatures(window);
  }, 2);
  db.close();

  const signal = bearingSignal(WINDOW, 2980);
  const diagnoser = new WindowDiagnoser(
    planDiagnosis(WINDOW, {
      sampleRateHz: CHANNEL_RATE_HZ,
      rpm: 2980,
      unit: 'g',
      bearing: defectMultiples(catalogBearing('skf-6205').geometry),
      windowSize: WINDOW,
    }),
  );
  const signalWindowsPerSecond = await opsPerSecond(() => diagnoser.analyse(signal), 2);
  const rules = set.rules.length;
  return [
    result(
      'rules',
      ASSETS * rules,
      'ops/s',
      ruleWindowsPerSecond * rules,
      `signal step: analyses of a ${WINDOW}-sample window`,
      signalWindowsPerSecond,
    ),
    // The goal: the rule step under 5 % of the signal step for the same windows, i.e. a ratio above 20.
    result(
      'rules-vs-signal',
      rules,
      'ops/s',
      ruleWindowsPerSecond,
      `signal step: analyses of a ${WINDOW}-sample window`,
      signalWindowsPerSecond,
    ),
  ];
}
