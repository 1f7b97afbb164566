import { describe, expect, it, vi } from 'vitest';
import {
  compileCondition,
  ConditionError,
  type CompileOptions,
  type ConditionScope,
  type SignalRef,
} from './condition.js';

const ZONES: CompileOptions = { stringSignals: new Set(['isoZone']) };

/** A scope backed by Maps that records every ref it is asked for. */
function scopeOf(
  values: Record<string, number | string> = {},
  baselines: Record<string, number> = {},
): ConditionScope & { asked: SignalRef[] } {
  const signals = new Map(Object.entries(values));
  const baselineValues = new Map(Object.entries(baselines));
  const asked: SignalRef[] = [];
  return {
    asked,
    signal: (ref) => {
      asked.push(ref);
      return signals.get(ref.key);
    },
    baseline: (ref) => {
      asked.push(ref);
      return baselineValues.get(ref.key);
    },
  };
}

const evaluate = (
  source: string,
  values: Record<string, number | string> = {},
  baselines: Record<string, number> = {},
  options?: CompileOptions,
) => compileCondition(source, options).evaluate(scopeOf(values, baselines));

function rejection(source: string, options?: CompileOptions): ConditionError {
  try {
    compileCondition(source, options);
  } catch (error) {
    if (error instanceof ConditionError) return error;
    throw error;
  }
  throw new Error(`accepted: ${source}`);
}

describe('comparisons and arithmetic', () => {
  it.each([
    ['x > 2', true],
    ['x > 3', false],
    ['x >= 3', true],
    ['x >= 4', false],
    ['x < 4', true],
    ['x < 3', false],
    ['x <= 3', true],
    ['x <= 2', false],
    ['x == 3', true],
    ['x == 2', false],
    ['x != 2', true],
    ['x != 3', false],
  ])('%s with x = 3 is %s', (source, holds) => {
    expect(evaluate(source, { x: 3 })).toBe(holds);
  });

  it.each([
    ['x + 2 == 5', true],
    ['x - 2 == 1', true],
    ['x * 2 == 6', true],
    ['x / 2 == 1.5', true],
    ['1 + x * 2 == 7', true], // * before +
    ['(1 + x) * 2 == 8', true],
    ['x - 1 - 1 == 1', true], // left-associative
    ['-x < -2', true],
    ['-x < -3', false],
    ['+x == 3', true],
    ['- -x == 3', true],
    ['abs(x - 5) == 2', true],
    ['abs(-x) == 3', true],
    ['min(x, 7) == 3', true],
    ['max(x, 7) == 7', true],
    ['min(9, x, 5) == 3', true],
    ['max(1, 2, x, 0) == 3', true],
    ['x > .5 and x < 3e1', true],
  ])('%s with x = 3 is %s', (source, holds) => {
    expect(evaluate(source, { x: 3 })).toBe(holds);
  });

  it('compares text lexicographically, which orders ISO 10816 zones A < B < C < D', () => {
    for (const [zone, atLeastC] of [
      ['A', false],
      ['B', false],
      ['C', true],
      ['D', true],
    ] as const) {
      expect(evaluate("isoZone >= 'C'", { isoZone: zone }, {}, ZONES)).toBe(atLeastC);
    }
    expect(evaluate('isoZone == "B"', { isoZone: 'B' }, {}, ZONES)).toBe(true);
    expect(evaluate("isoZone != 'B'", { isoZone: 'B' }, {}, ZONES)).toBe(false);
    expect(evaluate("isoZone < 'B'", { isoZone: 'A' }, {}, ZONES)).toBe(true);
    expect(evaluate("'C' <= isoZone", { isoZone: 'D' }, {}, ZONES)).toBe(true);
    expect(evaluate("de.isoZone > 'B'", { 'de.isoZone': 'C' }, {}, ZONES)).toBe(true);
  });

  it('reads values of the wrong type as missing', () => {
    expect(evaluate("isoZone >= 'C'", { isoZone: 3 }, {}, ZONES)).toBeUndefined();
    expect(evaluate('x > 1', { x: 'high' })).toBeUndefined();
  });
});

describe('logic', () => {
  it.each([
    ['x > 1 and y > 1', { x: 2, y: 2 }, true],
    ['x > 1 and y > 1', { x: 2, y: 0 }, false],
    ['x > 1 && y > 1', { x: 2, y: 2 }, true],
    ['x > 1 && y > 1', { x: 0, y: 2 }, false],
    ['x > 1 or y > 1', { x: 0, y: 2 }, true],
    ['x > 1 or y > 1', { x: 0, y: 0 }, false],
    ['x > 1 || y > 1', { x: 2, y: 0 }, true],
    ['x > 1 || y > 1', { x: 0, y: 0 }, false],
    ['not (x > 1)', { x: 0 }, true],
    ['not (x > 1)', { x: 2 }, false],
    ['not(x > 1)', { x: 0 }, true],
    ['!(x > 1)', { x: 0 }, true],
    ['!(x > 1)', { x: 2 }, false],
    ['not not (x > 1)', { x: 2 }, true],
    ['(x>1)and(y>1)', { x: 2, y: 2 }, true],
    ['x>1 or(y>1)', { x: 0, y: 2 }, true],
    ['x > 1\n  and y > 1', { x: 2, y: 2 }, true],
  ])('%s with %o is %s', (source, values, holds) => {
    expect(evaluate(source, values)).toBe(holds);
  });

  it('binds and tighter than or, and comparisons and arithmetic tighter than both', () => {
    // As (a > 1 or b > 1) and c > 1 this would be false.
    expect(evaluate('a > 1 or b > 1 and c > 1', { a: 2, b: 0, c: 0 })).toBe(true);
    // As a > 1 and (b > 1 or c > 1) this would be false.
    expect(evaluate('a > 1 and b > 1 or c > 1', { a: 0, b: 0, c: 2 })).toBe(true);
    expect(evaluate('a > 1 || b > 1 && c > 1', { a: 2, b: 0, c: 0 })).toBe(true);
    expect(evaluate('a + 1 > 2 and b * 2 < 3', { a: 2, b: 1 })).toBe(true);
    expect(evaluate('(a > 1 or b > 1) and c > 1', { a: 2, b: 0, c: 0 })).toBe(false);
  });

  it('keeps unknown distinct from false (Kleene logic)', () => {
    const u = {}; // x and y missing
    expect(evaluate('x > 1', u)).toBeUndefined();
    expect(evaluate('not (x > 1)', u)).toBeUndefined();
    expect(evaluate('!(x > 1)', u)).toBeUndefined();
    expect(evaluate('x > 1 and y > 1', u)).toBeUndefined();
    expect(evaluate('x > 1 and k > 1', { k: 2 })).toBeUndefined();
    expect(evaluate('x > 1 and k > 1', { k: 0 })).toBe(false);
    expect(evaluate('k > 1 and x > 1', { k: 0 })).toBe(false);
    expect(evaluate('x > 1 or k > 1', { k: 2 })).toBe(true);
    expect(evaluate('k > 1 or x > 1', { k: 2 })).toBe(true);
    expect(evaluate('x > 1 or k > 1', { k: 0 })).toBeUndefined();
    expect(evaluate('not (x > 1 or k > 1)', { k: 0 })).toBeUndefined();
  });

  it('short-circuits once the result is decided', () => {
    const holds = scopeOf({ a: 2, b: 2 });
    expect(compileCondition('a > 1 or b > 1').evaluate(holds)).toBe(true);
    expect(holds.asked.map((ref) => ref.key)).toEqual(['a']);
    const fails = scopeOf({ a: 0, b: 2 });
    expect(compileCondition('a > 1 and b > 1').evaluate(fails)).toBe(false);
    expect(fails.asked.map((ref) => ref.key)).toEqual(['a']);
    const unknown = scopeOf({ b: 2 });
    expect(compileCondition('a > 1 or b > 1').evaluate(unknown)).toBe(true);
    expect(unknown.asked.map((ref) => ref.key)).toEqual(['a', 'b']);
  });

  it('makes any non-finite arithmetic unknown', () => {
    expect(evaluate('x / 0 > 1', { x: 5 })).toBeUndefined();
    expect(evaluate('x / y < 1', { x: 0, y: 0 })).toBeUndefined();
    expect(evaluate('not (x / y > 1)', { x: 1, y: 0 })).toBeUndefined();
    expect(evaluate('x * 1e308 > 1', { x: 1e10 })).toBeUndefined();
    expect(evaluate('x > 1', { x: Number.NaN })).toBeUndefined();
    expect(evaluate('x > 1', { x: Number.POSITIVE_INFINITY })).toBeUndefined();
    expect(evaluate('abs(x) > 1', {})).toBeUndefined();
    expect(evaluate('max(x, y) > 1', { x: 5 })).toBeUndefined();
  });
});

describe('signals and baselines', () => {
  it('compares against baseline() when present and is unknown without one', () => {
    const source = 'envelope_bpfo > 4 * baseline(envelope_bpfo)';
    expect(evaluate(source, { envelope_bpfo: 9 }, { envelope_bpfo: 2 })).toBe(true);
    expect(evaluate(source, { envelope_bpfo: 7 }, { envelope_bpfo: 2 })).toBe(false);
    expect(evaluate(source, { envelope_bpfo: 9 }, {})).toBeUndefined();
    expect(
      evaluate(
        'de.envelope_bpfo > 4 * baseline(de.envelope_bpfo)',
        { 'de.envelope_bpfo': 9 },
        { 'de.envelope_bpfo': 2 },
      ),
    ).toBe(true);
  });

  it('reads channel.name references with channel and name split', () => {
    const condition = compileCondition('de.velocityRmsMmS > 1.5 * nde.velocityRmsMmS');
    const scope = scopeOf({ 'de.velocityRmsMmS': 3, 'nde.velocityRmsMmS': 1.5 });
    expect(condition.evaluate(scope)).toBe(true);
    expect(scope.asked).toEqual([
      { key: 'de.velocityRmsMmS', channel: 'de', name: 'velocityRmsMmS' },
      { key: 'nde.velocityRmsMmS', channel: 'nde', name: 'velocityRmsMmS' },
    ]);
    expect(evaluate('finding.outer_race >= 0.5', { 'finding.outer_race': 0.7 })).toBe(true);
    expect(compileCondition('finding.outer_race >= 0.5').signals).toEqual([
      { key: 'finding.outer_race', channel: 'finding', name: 'outer_race' },
    ]);
  });

  it('lists distinct signals and baselines in order of first appearance', () => {
    const condition = compileCondition(
      'b > baseline(z) and a > 1 or b < 2 and de.a > baseline(b) + baseline(z) or max(a, c) > 1',
    );
    expect(condition.signals.map((ref) => ref.key)).toEqual(['b', 'a', 'de.a', 'c']);
    expect(condition.baselines.map((ref) => ref.key)).toEqual(['z', 'b']);
    // z appears only inside baseline(), so it is not a signal the condition reads.
    expect(compileCondition('x > baseline(z)').signals.map((ref) => ref.key)).toEqual(['x']);
  });

  it('passes the same SignalRef object for a key on every call', () => {
    const condition = compileCondition('x > baseline(x) and x < 10 * baseline(x) and y.x > 0');
    const first = scopeOf({ x: 5, 'y.x': 1 }, { x: 1 });
    const second = scopeOf({ x: 5, 'y.x': 1 }, { x: 1 });
    expect(condition.evaluate(first)).toBe(true);
    expect(condition.evaluate(second)).toBe(true);
    const [x, yx] = condition.signals;
    expect(condition.baselines).toEqual([x]);
    expect(condition.baselines[0]).toBe(x);
    const asked = [...first.asked, ...second.asked];
    expect(asked).toHaveLength(2 * 5);
    for (const ref of asked) expect(ref === x || ref === yx).toBe(true);
  });
});

describe('word operators do not swallow identifiers', () => {
  it.each(['note', 'order1x', 'android', 'orange', 'notch', 'inlet', 'and_x', 'or_b', 'nothing', 'origin'])(
    '%s is a signal name',
    (name) => {
      const condition = compileCondition(`${name} > 1 and not (${name} > 5) or ${name} == 0`);
      expect(condition.signals.map((ref) => ref.key)).toEqual([name]);
      expect(condition.evaluate(scopeOf({ [name]: 3 }))).toBe(true);
    },
  );

  it('parses a word operator next to a parenthesis or a quote', () => {
    expect(evaluate("not(isoZone == 'A')and(isoZone != 'B')", { isoZone: 'C' }, {}, ZONES)).toBe(true);
    expect(evaluate("isoZone == 'A'or isoZone == 'C'", { isoZone: 'C' }, {}, ZONES)).toBe(true);
  });
});

describe('explain()', () => {
  it('reports each comparison of the spindle rule with its values', () => {
    const condition = compileCondition('temperature > 65 and coolant_flow < 12');
    const result = condition.explain(scopeOf({ temperature: 71.5, coolant_flow: 9 }));
    expect(result).toEqual({
      holds: true,
      comparisons: [
        {
          text: 'temperature > 65',
          metric: 'temperature',
          value: 71.5,
          comparison: '>',
          threshold: 65,
          holds: true,
        },
        {
          text: 'coolant_flow < 12',
          metric: 'coolant_flow',
          value: 9,
          comparison: '<',
          threshold: 12,
          holds: true,
        },
      ],
    });
  });

  it('reports the evaluated threshold of a baseline comparison', () => {
    const condition = compileCondition('envelope_bpfo > 4 * baseline(envelope_bpfo)');
    expect(condition.explain(scopeOf({ envelope_bpfo: 9 }, { envelope_bpfo: 2.5 }))).toEqual({
      holds: false,
      comparisons: [
        {
          text: 'envelope_bpfo > 4 * baseline(envelope_bpfo)',
          metric: 'envelope_bpfo',
          value: 9,
          comparison: '>',
          threshold: 10,
          holds: false,
        },
      ],
    });
  });

  it('shows missing values as unknown and channel refs by their source text', () => {
    const result = compileCondition(
      'de.velocityRmsMmS > 1.5 * nde.velocityRmsMmS or (x + 1) * 2 > 3',
    ).explain(scopeOf({ 'de.velocityRmsMmS': 3 }));
    expect(result.holds).toBeUndefined();
    expect(result.comparisons).toEqual([
      {
        text: 'de.velocityRmsMmS > 1.5 * nde.velocityRmsMmS',
        metric: 'de.velocityRmsMmS',
        value: 3,
        comparison: '>',
        threshold: undefined,
        holds: undefined,
      },
      {
        text: '(x + 1) * 2 > 3',
        metric: '(x + 1) * 2',
        value: undefined,
        comparison: '>',
        threshold: 3,
        holds: undefined,
      },
    ]);
  });

  it('lists only comparisons that were evaluated, agrees with evaluate(), and leaves evaluate() untraced', () => {
    const condition = compileCondition('a > 1 or b > 1');
    const scope = scopeOf({ a: 2, b: 0 });
    const result = condition.explain(scope);
    expect(result.holds).toBe(condition.evaluate(scope));
    expect(result.comparisons.map((c) => c.text)).toEqual(['a > 1']);
    expect(condition.explain(scopeOf({ a: 0, b: 0 })).comparisons.map((c) => c.text)).toEqual([
      'a > 1',
      'b > 1',
    ]);
    condition.evaluate(scope);
    expect(result.comparisons).toHaveLength(1);
  });
});

describe('rejections', () => {
  const OPERATORS = 'supported operators: and, or, not, &&, ||, !, ==, !=, <, <=, >, >=, +, -, *, /';
  it.each([
    // source, column, message fragment
    ['', 1, 'condition is empty'],
    ['   \n ', 1, 'condition is empty'],
    ['()', 1, 'condition is empty'],
    ['x > ', 5, 'syntax error at column 5: Expected expression after >'],
    ['(x > 1', 7, 'syntax error at column 7: Unclosed ('],
    ["x == 'A", 8, 'syntax error at column 8: Unclosed quote after "A"'],
    ['x > 1 )', 7, 'syntax error at column 7: Unexpected ")"'],
    ['x > 1 y < 2', 7, `unexpected "y < 2" at column 7; join conditions with 'and' or 'or'`],
    ['x > 1; y < 2', 8, 'unexpected "y < 2" at column 8'],
    ['x > 1 or', 7, "'or' at column 7 needs a condition on both sides"],
    ['x > 1 and not', 11, "'not' at column 11 needs a condition after it"],
    ['x = 1', 3, "assignment '=' at column 3 is not supported; use '==' to compare"],
    ['this > 1', 1, "'this' at column 1 is not supported"],
    ['x > 1 ? y > 1 : z > 1', 7, "'?:' at column 7 is not supported"],
    ['[1, 2] > 1', 1, 'array literal "[1, 2]" at column 1 is not supported'],
    ['{ a: 1 } > 1', 1, 'object literal at column 1 is not supported'],
    ['x > (y, z)', 5, '"(y, z)" at column 5 is a list'],
    ['x[0] > 1', 1, 'indexing "x[0]" at column 1 is not supported; write channel.name'],
    ['y > de[x]', 5, 'indexing "de[x]" at column 5'],
    ['a.b.c > 1', 1, 'a.b.c at column 1 is not a signal; signals are written name or channel.name'],
    ['a?.b > 1', 1, '\'?.\' in "a?.b" at column 1 is not supported'],
    [
      'sqrt(x) > 1',
      1,
      "unknown function 'sqrt' at column 1; available functions: abs(x), min(a, b, ...), max(a, b, ...), baseline(signal)",
    ],
    ['x > de.rms(1)', 5, '"de.rms" at column 5 cannot be called; available functions: abs(x)'],
    ['abs(x, y) > 1', 1, 'abs() at column 1 takes 1 argument, got 2'],
    ['abs() > 1', 1, 'abs() at column 1 takes 1 argument, got 0'],
    ['x > min(y)', 5, 'min() at column 5 takes at least 2 arguments, got 1'],
    ['max() > 1', 1, 'max() at column 1 takes at least 2 arguments, got 0'],
    ['x > baseline()', 5, 'baseline() at column 5 takes 1 argument (a signal name), got 0'],
    ['x > baseline(x, y)', 5, 'baseline() at column 5 takes 1 argument (a signal name), got 2'],
    [
      'x > baseline(x * 2)',
      5,
      'baseline() at column 5 needs a signal name such as baseline(envelope_bpfo), got "x * 2"',
    ],
    ['x > baseline(3)', 5, 'needs a signal name'],
    ['x > baseline(abs(x))', 5, 'needs a signal name'],
    ['x > baseline(a.b.c)', 14, 'a.b.c at column 14 is not a signal'],
    ['$x > 1', 1, '"$x" at column 1 is not a valid signal name'],
    ['x > température', 5, '"température" at column 5 is not a valid signal name'],
    ['x > de.$y', 5, '"$y" at column 5 is not a valid signal name'],
    ['x > (($y))', 7, '"$y" at column 7 is not a valid signal name'],
    ['true', 1, "'true' at column 1 is not supported"],
    ['x > 1 and false', 11, "'false' at column 11 is not supported"],
    ['x == null', 6, "'null' at column 6 is not supported"],
    ['x > 1e999', 5, 'number 1e999 at column 5 is out of range'],
    ['x & y', 3, `operator '&' at column 3 is not supported (use 'and'); ${OPERATORS}`],
    ['x > 1 | y > 1', 7, "operator '|' at column 7 is not supported (use 'or')"],
    ['x ^ 2 > 1', 3, "operator '^' at column 3 is not supported"],
    ['x % 2 == 1', 3, "operator '%' at column 3 is not supported"],
    ['x ** 2 > 1', 3, "operator '**' at column 3 is not supported"],
    ['x === 1', 3, "operator '===' at column 3 is not supported (use '==')"],
    ['x !== 1', 3, "operator '!==' at column 3 is not supported (use '!=')"],
    ['x << 1 > 1', 3, "operator '<<' at column 3 is not supported"],
    ['x >> 1 > 1', 3, "operator '>>' at column 3 is not supported"],
    ['x >>> 1 > 1', 3, "operator '>>>' at column 3 is not supported"],
    ['x in y', 3, "operator 'in' at column 3 is not supported"],
    ['(x ?? 0) > 1', 4, "operator '??' at column 4 is not supported"],
    ['~x > 1', 1, "operator '~' at column 1 is not supported"],
    [
      'x + 1',
      1,
      'condition must be a comparison such as "temperature > 65", but "x + 1" at column 1 is a number',
    ],
    [
      'temperature',
      1,
      'condition must be a comparison such as "temperature > 65", but temperature at column 1',
    ],
    ["'C'", 1, 'condition must be a comparison such as "temperature > 65"'],
    ['x > 1 and y', 11, "'and' joins conditions, but y at column 11 is a number"],
    ['x or y > 1', 1, "'or' joins conditions, but x at column 1 is a number"],
    ['x > 1 && 2', 10, "'&&' joins conditions, but 2 at column 10 is a number"],
    ['not x', 5, "'not' negates conditions, but x at column 5 is a number"],
    ['!(x + 1)', 2, `'!' negates conditions, but "(x + 1)" at column 2 is a number`],
    ['not rpm < 100', 1, "'not' at column 1 applies only to the value after it; write not (rpm < 100)"],
    ['x > 1 and not rpm + 1 < 100', 11, 'write not (rpm + 1 < 100)'],
    ['x > (y > 1)', 5, `'>' compares values, but "(y > 1)" at column 5 is a condition`],
    ['x > 1 == y > 1', 1, `'==' compares values, but "x > 1" at column 1 is a condition`],
    ['(x > 1) + 1 > 0', 1, `'+' needs numbers, but "(x > 1)" at column 1 is a condition`],
    ['abs(x > 1) > 0', 5, `abs() needs numbers, but "x > 1" at column 5 is a condition`],
  ])('%j at column %i: %s', (source, column, fragment) => {
    const error = rejection(source);
    expect(error.message).toContain(fragment);
    expect(error.column).toBe(column);
  });

  it.each([
    ['isoZone > 4', 9, 'cannot compare isoZone (text) with 4 (number) at column 9'],
    ["x == 'C'", 3, "cannot compare x (number) with 'C' (text) at column 3"],
    ['isoZone + 1 > 2', 1, "'+' needs numbers, but isoZone at column 1 is text"],
    ['-isoZone < 0', 2, "'-' needs numbers, but isoZone at column 2 is text"],
    ['max(isoZone, 1) > 2', 5, 'max() needs numbers, but isoZone at column 5 is text'],
    ['x > baseline(isoZone)', 5, 'baseline() at column 5 needs a numeric signal, but isoZone is text'],
    ['isoZone', 1, 'condition must be a comparison'],
    ['isoZone and x > 1', 1, "'and' joins conditions, but isoZone at column 1 is text"],
  ])('%j with isoZone as text at column %i: %s', (source, column, fragment) => {
    const error = rejection(source, ZONES);
    expect(error.message).toContain(fragment);
    expect(error.column).toBe(column);
  });

  it('limits the source to 1000 characters', () => {
    const longest = `x > 1${' or x > 1'.repeat(110)}     `;
    expect(longest).toHaveLength(1000);
    expect(compileCondition(longest).evaluate(scopeOf({ x: 0 }))).toBe(false);
    const error = rejection(`${longest} `);
    expect(error.message).toBe('condition is 1001 characters long; the limit is 1000');
    expect(error.column).toBe(1001);
  });

  it('throws ConditionError, not a bare jsep error', () => {
    expect(() => compileCondition('x >')).toThrow(ConditionError);
    expect(rejection('x >').name).toBe('ConditionError');
  });
});

describe('jsep registration', () => {
  // Hooks registered twice on the shared jsep singleton would mis-pair token starts: the first symptom is a
  // wrong column for a number nested inside another token.
  it('registers operators and position hooks once even when the module is evaluated again', async () => {
    vi.resetModules();
    const again = await import('./condition.js');
    expect(again.compileCondition).not.toBe(compileCondition);
    for (const compile of [compileCondition, again.compileCondition]) {
      expect(compile('not (x > 1) or y.z < 2').signals.map((ref) => ref.key)).toEqual(['x', 'y.z']);
      for (const [source, column] of [
        ['x > -1e999', 6],
        ['x > abs(1e999)', 9],
        ['x > 10 and (2) > $y', 18],
      ] as const) {
        expect(() => compile(source)).toThrow(expect.objectContaining({ column }));
      }
    }
  });
});
