import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from '../edge/rules/load-rules.js';
import { ThresholdEvaluator } from '../edge/rules/threshold-evaluator.js';
import { defaultRulesDir } from '../shared/paths.js';
import { formatProblem } from '../shared/yaml-file.js';
import { velocityWindow } from './helpers/features.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

afterAll(removeTempDirs);

function rulesDir(files: Record<string, string>): string {
  const dir = join(tempDir(), 'rules');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const RULE = `rules:
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

describe('rule files', () => {
  it('ships rules that load without problems', () => {
    const set = loadRules(defaultRulesDir());
    expect(set.problems.map(formatProblem)).toEqual([]);
    expect(set.rules.map((r) => r.spec.id)).toContain('velocity-rms-zone-d');
  });

  it('names file, line and field for each error', () => {
    const dir = rulesDir({
      'bad.yaml': RULE.replace('above: 4.5', 'above: "6,5"').replace('fault: threshold', 'fault: bearing'),
    });
    const problems = loadRules(dir).problems.map(formatProblem);
    expect(problems).toContain(`${join(dir, 'bad.yaml')}:5: rules/0/above: must be number`);
    expect(
      problems.some((p) => p.startsWith(`${join(dir, 'bad.yaml')}:9: rules/0/fault: must be one of`)),
    ).toBe(true);
  });

  it('reports YAML syntax errors, duplicate ids and a clear level above the threshold', () => {
    const dir = rulesDir({
      'a.yaml': RULE,
      'b.yaml': RULE.replace('clearBelow: 2.8', 'clearBelow: 9'),
      'c.yaml': 'rules:\n  - id: x\n   title: [unclosed\n',
    });
    const problems = loadRules(dir).problems.map(formatProblem);
    expect(problems).toContain(
      `${join(dir, 'b.yaml')}:2: rules/0/id: duplicate rule id 'vel-high' (first defined in ${join(dir, 'a.yaml')})`,
    );
    expect(problems).toContain(
      `${join(dir, 'b.yaml')}:6: rules/0/clearBelow: must not exceed 'above' (4.5), or the rule never clears`,
    );
    expect(problems.some((p) => p.startsWith(`${join(dir, 'c.yaml')}:3: `))).toBe(true);
  });

  it('versions a rule by its content, not its formatting', () => {
    const a = loadRules(rulesDir({ 'a.yaml': RULE })).rules[0];
    const reordered = loadRules(
      rulesDir({
        'a.yaml': RULE.replace('    above: 4.5\n', '').replace(
          '    for: 2s\n',
          '    for: 2s\n    above: 4.5\n',
        ),
      }),
    ).rules[0];
    const changed = loadRules(rulesDir({ 'a.yaml': RULE.replace('above: 4.5', 'above: 5') })).rules[0];
    expect(a?.version).toMatch(/^[0-9a-f]{16}$/);
    expect(reordered?.version).toBe(a?.version);
    expect(changed?.version).not.toBe(a?.version);
  });
});

describe('threshold evaluation', () => {
  const rules = loadRules(rulesDir({ 'a.yaml': RULE })).rules;

  it('fires only after the pending period, once, and clears below the hysteresis level', () => {
    const evaluator = new ThresholdEvaluator();
    const kinds = (t: number, v: number) =>
      evaluator.evaluate(rules, velocityWindow(t, v)).map((o) => o.kind);
    expect(kinds(0, 5)).toEqual([]); // pending: 1 s of 2 s
    expect(kinds(1000, 5)).toEqual(['fire']); // held 2 s
    expect(kinds(2000, 4.0)).toEqual(['still-firing']); // below 4.5 but above clearBelow 2.8
    expect(kinds(3000, 4.6)).toEqual(['still-firing']);
    expect(kinds(4000, 2.5)).toEqual(['clear']);
    expect(kinds(5000, 2.5)).toEqual([]);
  });

  it('restarts the pending period when the value dips', () => {
    const evaluator = new ThresholdEvaluator();
    const kinds = (t: number, v: number) =>
      evaluator.evaluate(rules, velocityWindow(t, v)).map((o) => o.kind);
    expect(kinds(0, 5)).toEqual([]);
    expect(kinds(1000, 3)).toEqual([]);
    expect(kinds(2000, 5)).toEqual([]);
    expect(kinds(3000, 5)).toEqual(['fire']);
  });

  it('keeps separate state per asset', () => {
    const evaluator = new ThresholdEvaluator();
    evaluator.evaluate(rules, velocityWindow(0, 5, 'a'));
    expect(evaluator.evaluate(rules, velocityWindow(1000, 5, 'b'))).toEqual([]);
    expect(evaluator.evaluate(rules, velocityWindow(1000, 5, 'a')).map((o) => o.kind)).toEqual(['fire']);
  });
});
