import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from './load-rules.js';
import { defaultRulesDir } from '../../shared/paths.js';
import { FAULTS } from '../../shared/schema/index.js';
import { formatProblem } from '../../shared/yaml-file.js';
import { rulesDir, THRESHOLD_RULE as RULE } from '../../test/helpers/rules.js';
import { removeTempDirs } from '../../test/helpers/stack.js';

afterAll(removeTempDirs);

const problemsOf = (files: Record<string, string>) => {
  const dir = rulesDir(files);
  return { dir, problems: loadRules(dir).problems.map(formatProblem) };
};

describe('rule files', () => {
  it('ships rules that load, covering every fault the issue lists, each with an action and severity', () => {
    const set = loadRules(defaultRulesDir());
    expect(set.problems.map(formatProblem)).toEqual([]);
    const faults = new Set(set.rules.map((r) => r.spec.fault));
    for (const fault of FAULTS) expect(faults, fault).toContain(fault);
    const kinds = new Set(set.rules.map((r) => r.watch.kind));
    expect([...kinds].sort()).toEqual(['condition', 'no-data', 'trend']);
    expect(set.rules.map((r) => r.spec.id)).toEqual(
      expect.arrayContaining(['velocity-iso-zone', 'spindle-coolant-starved', 'velocity-trend-zone-d']),
    );
    // The multi-signal rule reads OPC-UA style readings, gated on the spindle running.
    const spindle = set.rules.find((r) => r.spec.id === 'spindle-coolant-starved');
    expect([...(spindle?.readingChannels ?? [])]).toEqual([
      'spindle_temperature',
      'coolant_flow',
      'spindle_speed',
    ]);
    expect(spindle?.readsFeatures).toBe(false);
  });

  it('names file, line and field for each schema error', () => {
    const { dir, problems } = problemsOf({
      'bad.yaml': RULE.replace('above: 4.5', 'above: "6,5"').replace('fault: threshold', 'fault: bearing'),
    });
    expect(problems).toContain(`${join(dir, 'bad.yaml')}:5: rules/0/above: must be number`);
    expect(
      problems.some((p) => p.startsWith(`${join(dir, 'bad.yaml')}:9: rules/0/fault: must be one of`)),
    ).toBe(true);
  });

  it('reports YAML syntax errors, duplicate ids and a clear level above the threshold', () => {
    const { dir, problems } = problemsOf({
      'a.yaml': RULE,
      'b.yaml': RULE.replace('clearBelow: 2.8', 'clearBelow: 9'),
      'c.yaml': 'rules:\n  - id: x\n   title: [unclosed\n',
    });
    expect(problems).toContain(
      `${join(dir, 'b.yaml')}:2: rules/0/id: duplicate rule id 'vel-high' (first defined in ${join(dir, 'a.yaml')})`,
    );
    expect(problems).toContain(
      `${join(dir, 'b.yaml')}:6: rules/0/clearBelow: must not exceed 'above' (4.5), or the rule never clears`,
    );
    expect(problems.some((p) => p.startsWith(`${join(dir, 'c.yaml')}:3: `))).toBe(true);
  });

  it('points at the column of a bad condition and names what is allowed', () => {
    const rule = (when: string) =>
      `rules:\n  - id: r1\n    title: t\n    when: "${when}"\n    severity: high\n    fault: overheating\n    action: a\n`;
    const cases: [string, RegExp][] = [
      ['temperature > ', /:4: rules\/0\/when: syntax error at column 15: Expected expression after >/],
      [
        'temperature >> 3',
        /:4: rules\/0\/when: operator '>>' at column 13 is not supported; supported operators: and, or/,
      ],
      [
        'process.exit(1) > 0',
        /:4: rules\/0\/when: "process.exit" at column 1 cannot be called; available functions: abs/,
      ],
      ['temperature', /:4: rules\/0\/when: condition must be a comparison such as "temperature > 65"/],
      ['isoZone > 3', /:4: rules\/0\/when: cannot compare isoZone \(text\) with 3 \(number\) at column 9/],
      [
        'finding.bearing > 0.5',
        /:4: rules\/0\/when: 'finding.bearing' names no fault; use one of finding.outer_race/,
      ],
      [
        'de.temperature > 1',
        /:4: rules\/0\/when: 'de.temperature': only features can be named with a channel/,
      ],
    ];
    for (const [when, expected] of cases) {
      const { problems } = problemsOf({ 'r.yaml': rule(when) });
      expect(problems, when).toHaveLength(1);
      expect(problems[0], when).toMatch(expected);
    }
  });

  it('refuses a rule that watches nothing or two things, and checks rule kinds', () => {
    const base =
      'rules:\n  - id: r1\n    title: t\n    severity: high\n    fault: threshold\n    action: a\n';
    expect(problemsOf({ 'r.yaml': base }).problems[0]).toMatch(
      /:2: rules\/0: a rule needs one of 'when', 'metric', 'trend', 'noData': what it watches/,
    );
    expect(problemsOf({ 'r.yaml': `${base}    when: a > 1\n    noData: 1m\n` }).problems).toEqual([
      expect.stringMatching(
        /:8: rules\/0\/noData: a rule watches one thing: 'when' and 'noData' cannot be combined/,
      ),
    ]);
    expect(problemsOf({ 'r.yaml': `${base}    noData: 1m\n` }).problems).toEqual([
      expect.stringMatching(/rules\/0\/fault: a 'noData' rule raises sensor_fault tickets, got 'threshold'/),
    ]);
    expect(
      problemsOf({
        'r.yaml': `${base}    trend:\n      metric: isoZone\n      threshold: 3\n      horizon: 1d\n      history: 1d\n`,
      }).problems,
    ).toEqual([expect.stringMatching(/:8: rules\/0\/trend\/metric: 'isoZone' is text, not a number/)]);
    expect(problemsOf({ 'r.yaml': `${base}    when: a > 1\n    for: 10 minutes\n` }).problems[0]).toMatch(
      /:8: rules\/0\/for: must be a duration like 30s, 5m, 2h, 7d \(got "10 minutes"\)/,
    );
  });

  it('reads explainedBy: the diagnosed faults that fold a generic rule, checked by name', () => {
    const base =
      "rules:\n  - id: zone\n    title: t\n    when: isoZone >= 'C'\n    severity: medium\n    action: a\n";
    const listed = loadRules(
      rulesDir({ 'r.yaml': `${base}    fault: threshold\n    explainedBy: [unbalance, outer_race]\n` }),
    );
    expect(listed.problems).toEqual([]);
    expect([...(listed.rules[0]?.explainedBy ?? [])]).toEqual(['unbalance', 'outer_race']);
    const any = loadRules(
      rulesDir({ 'r.yaml': `${base}    fault: threshold\n    explainedBy: [any-diagnosed-fault]\n` }),
    );
    expect([...(any.rules[0]?.explainedBy ?? [])]).toEqual(
      FAULTS.filter((f) => f !== 'threshold' && f !== 'sensor_fault'),
    );
    // Most rules explain themselves: no field, nothing folds them.
    expect(loadRules(rulesDir({ 'r.yaml': RULE })).rules[0]?.explainedBy.size).toBe(0);

    const { dir, problems } = problemsOf({
      'r.yaml': `${base}    fault: threshold\n    explainedBy:\n      - unbalance\n      - unbalanse\n      - threshold\n`,
    });
    const file = join(dir, 'r.yaml');
    expect(problems).toEqual([
      `${file}:10: rules/0/explainedBy/1: rule 'zone': 'unbalanse' is not a diagnosed fault; use one of outer_race, inner_race, rolling_element, cage, unbalance, misalignment, looseness, overheating or any-diagnosed-fault`,
      `${file}:11: rules/0/explainedBy/2: rule 'zone': 'threshold' is not a diagnosed fault; use one of outer_race, inner_race, rolling_element, cage, unbalance, misalignment, looseness, overheating or any-diagnosed-fault`,
    ]);
    expect(
      problemsOf({ 'r.yaml': `${base}    fault: unbalance\n    explainedBy: [misalignment]\n` }).problems,
    ).toEqual([
      expect.stringMatching(
        /r\.yaml:8: rules\/0\/explainedBy: rule 'zone' raises 'unbalance' tickets; only a generic rule \(fault: threshold\) can be explained by a diagnosis$/,
      ),
    ]);
    expect(problemsOf({ 'r.yaml': `${base}    fault: threshold\n    explainedBy: []\n` }).problems).toEqual([
      expect.stringMatching(/r\.yaml:8: rules\/0\/explainedBy: must NOT have fewer than 1 items/),
    ]);
  });

  it('ships generic rules that say which diagnoses explain them', () => {
    const rules = new Map(loadRules(defaultRulesDir()).rules.map((r) => [r.spec.id, r]));
    expect([...(rules.get('velocity-iso-zone')?.explainedBy ?? [])]).toEqual(
      expect.arrayContaining(['unbalance', 'misalignment', 'looseness', 'outer_race', 'inner_race']),
    );
    expect([...(rules.get('impulsive-vibration')?.explainedBy ?? [])]).toEqual(
      expect.arrayContaining(['outer_race', 'inner_race', 'rolling_element', 'cage']),
    );
    expect([...(rules.get('bpfo-envelope-above-baseline')?.explainedBy ?? [])]).toEqual(['outer_race']);
    expect(rules.get('unbalance')?.explainedBy.size).toBe(0);
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
