import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { Baselines } from '../../edge/rules/baselines.js';
import { type LoadedRule, loadRules } from '../../edge/rules/load-rules.js';
import { RuleEngine, type RuleEngineOptions } from '../../edge/rules/rule-engine.js';
import { openRuleStateDb } from '../../edge/rules/state-db.js';
import { TrendHistories } from '../../edge/rules/trend-histories.js';
import type { Features, Reading } from '../../shared/schema/index.js';
import { formatProblem } from '../../shared/yaml-file.js';
import { tempDir } from './stack.js';

/** A threshold rule with hysteresis and a pending period, the simplest rule there is. */
export const THRESHOLD_RULE = `rules:
  - id: vel-high
    title: Velocity high
    metric: velocityRmsMmS
    above: 4.5
    clearBelow: 2.8
    for: 2s
    severity: high
    fault: threshold
    action: SOP-1
`;

/** A rules directory holding the given files. */
export function rulesDir(files: Record<string, string>, dir = join(tempDir(), 'rules')): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Loads rules that must be valid: a test about evaluation should not pass on a rule that never loaded. */
export function validRules(yaml: string): LoadedRule[] {
  const set = loadRules(rulesDir({ 'rules.yaml': yaml }));
  if (set.problems.length > 0) throw new Error(set.problems.map(formatProblem).join('\n'));
  return set.rules;
}

export interface EngineHarness {
  engine: RuleEngine;
  baselines: Baselines;
  db: Database.Database;
  dbPath: string;
  /** The wall clock the no-data rules read; tests move it. */
  wall: { now: number };
}

/** A rule engine over a real rule-state SQLite file. */
export function engineHarness(
  rules: LoadedRule[],
  options: {
    dbPath?: string;
    staleAfterMs?: number;
    baselineLearnMs?: number;
    zoneLimits?: RuleEngineOptions['zoneLimits'];
    /** The pipeline's signals, fed by the test; without them the engine keeps its own. */
    signals?: RuleEngineOptions['signals'];
  } = {},
): EngineHarness {
  const dbPath = options.dbPath ?? join(tempDir(), 'rule-state.db');
  const db = openRuleStateDb(dbPath);
  const baselines = new Baselines(db);
  const wall = { now: Date.parse('2026-11-24T06:00:00Z') };
  const engine = new RuleEngine({
    baselines,
    trendHistories: new TrendHistories(db),
    staleAfterMs: options.staleAfterMs ?? 60_000,
    baselineLearnMs: options.baselineLearnMs ?? 3_600_000,
    wallClock: () => wall.now,
    ...(options.zoneLimits ? { zoneLimits: options.zoneLimits } : {}),
    ...(options.signals ? { signals: options.signals } : {}),
  });
  engine.setRules(rules);
  return { engine, baselines, db, dbPath, wall };
}

export const T0 = Date.parse('2026-11-24T06:00:00Z');

/** One second of features on pump-1/de at data time t; healthy values unless overridden. */
export const window = (t: number, overrides: Partial<Features> = {}): Features => ({
  ts: t,
  assetId: 'pump-1',
  channel: 'de',
  windowStart: t,
  windowEnd: t + 1000,
  sampleRateHz: 12_800,
  accelUnit: 'g',
  accelRms: 0.1,
  accelPeak: 0.3,
  velocityRmsMmS: 1,
  crestFactor: 3,
  kurtosis: 3,
  rpm: 1780,
  isoZone: 'A',
  ...overrides,
});

export const reading = (
  t: number,
  channel: string,
  value: number,
  overrides: Partial<Reading> = {},
): Reading => ({
  ts: t,
  assetId: 'cnc-1',
  channel,
  value,
  unit: channel.includes('temp') ? '°C' : 'L/min',
  ...overrides,
});
