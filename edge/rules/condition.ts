import jsep from 'jsep';

export class ConditionError extends Error {
  /** column: 1-based column in the expression source where the problem is (1 when unknown). */
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'ConditionError';
  }
}

/** A signal the condition reads: `name` alone, or `channel.name`. key is 'name' or 'channel.name'. */
export interface SignalRef {
  readonly key: string;
  readonly name: string;
  readonly channel?: string;
}
/** undefined = no usable value (missing, stale, bad quality): the condition becomes unknown, not false. */
export type SignalValue = number | string | undefined;
export interface ConditionScope {
  signal(ref: SignalRef): SignalValue;
  baseline(ref: SignalRef): number | undefined;
}
export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';
export interface ComparisonOutcome {
  text: string;
  metric: string;
  value: number | string | undefined;
  comparison: Comparison;
  threshold: number | string | undefined;
  holds: boolean | undefined;
}
export interface ConditionResult {
  holds: boolean | undefined;
  comparisons: ComparisonOutcome[];
}
export interface CompileOptions {
  /** Signal names (the `name` part) whose values are strings, e.g. 'isoZone'. All other signals are numbers. */
  stringSignals?: ReadonlySet<string>;
}
export interface CompiledCondition {
  readonly source: string;
  /** Distinct signals read directly (not only inside baseline()), in order of first appearance. */
  readonly signals: readonly SignalRef[];
  /** Distinct arguments of baseline(), in order. */
  readonly baselines: readonly SignalRef[];
  /** Hot path: allocates nothing per call. */
  evaluate(scope: ConditionScope): boolean | undefined;
  /** Every comparison evaluated, in source order, with its values: the evidence a ticket carries. */
  explain(scope: ConditionScope): ConditionResult;
}

export const MAX_CONDITION_LENGTH = 1000;
const EXAMPLE = '"temperature > 65"';
const ADVICE = `; write a comparison such as ${EXAMPLE}`;
const FUNCTIONS = 'abs(x), min(a, b, ...), max(a, b, ...), baseline(signal)';
const SUPPORTED_OPERATORS = 'and, or, not, &&, ||, !, ==, !=, <, <=, >, >=, +, -, *, /';
const OPERATOR_HINTS: ReadonlyMap<string, string> = new Map([
  ['===', "use '=='"],
  ['!==', "use '!='"],
  ['&', "use 'and'"],
  ['|', "use 'or'"],
  ['??', 'a missing signal already makes the condition unknown'],
]);
const RESERVED = new Set(['and', 'or', 'not']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_RULE = "use letters, digits and '_', starting with a letter or '_'";

type Node = jsep.Expression;

// jsep nodes carry no positions; these hooks record them so errors can point at a column.
// `at` is the innermost token start (for error columns); `from`/`to` the outermost extent, parentheses included.
const tokenStarts = new WeakMap<object, number[]>();
function installConditionSyntax(): void {
  // The precedences of || and &&, so word and symbol forms mix predictably.
  jsep.addBinaryOp('or', 1);
  jsep.addBinaryOp('and', 2);
  jsep.addUnaryOp('not');
  // Parsed only to be rejected by name; otherwise jsep reports a vague "Unexpected" or splits the expression.
  jsep.addBinaryOp('in', 7);
  jsep.addBinaryOp('=', 0.9, true);
  jsep.hooks.add(
    'gobble-token',
    function (this: jsep.HookScope, env) {
      let starts = tokenStarts.get(this);
      if (!starts) tokenStarts.set(this, (starts = []));
      starts.push(this.index);
      // jsep returns numeric literals without running 'after-token'; parsing them here keeps pushes and pops paired.
      if ((this.code >= 48 && this.code <= 57) || this.code === 46) env.node = this.gobbleNumericLiteral();
    },
    true,
  );
  jsep.hooks.add('after-token', function (this: jsep.HookScope, env) {
    const start = tokenStarts.get(this)?.pop();
    if (!env.node || start === undefined) return;
    env.node.at ??= start;
    env.node.from = start;
    env.node.to = this.index;
  });
}
// The registry makes this once per process even if this module is evaluated again (e.g. per test file).
jsep.plugins.register({ name: 'plantwatch-condition', init: installConditionSyntax });

type Eval<T> = (scope: ConditionScope) => T | undefined;
interface KindValue {
  number: number;
  text: string;
  condition: boolean;
}
type Kind = keyof KindValue;
type Typed = { [K in Kind]: { kind: K; fn: Eval<KindValue[K]> } }[Kind];
const A_KIND: Readonly<Record<Kind, string>> = { number: 'a number', text: 'text', condition: 'a condition' };

const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const asText = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const map =
  <T, R>(value: Eval<T>, f: (v: T) => R): Eval<R> =>
  (scope) => {
    const v = value(scope);
    return v === undefined ? undefined : f(v);
  };
const combine =
  (left: Eval<number>, right: Eval<number>, op: (a: number, b: number) => number): Eval<number> =>
  (scope) => {
    const a = left(scope);
    if (a === undefined) return undefined;
    const b = right(scope);
    return b === undefined ? undefined : asNumber(op(a, b));
  };
// Kleene logic: a decided operand short-circuits; unknown survives unless the other side decides.
const and =
  (left: Eval<boolean>, right: Eval<boolean>): Eval<boolean> =>
  (scope) => {
    const a = left(scope);
    if (a === false) return false;
    const b = right(scope);
    if (b === false) return false;
    return a === undefined || b === undefined ? undefined : true;
  };
const or =
  (left: Eval<boolean>, right: Eval<boolean>): Eval<boolean> =>
  (scope) => {
    const a = left(scope);
    if (a === true) return true;
    const b = right(scope);
    if (b === true) return true;
    return a === undefined || b === undefined ? undefined : false;
  };

const ARITHMETIC: ReadonlyMap<string, (a: number, b: number) => number> = new Map([
  ['+', (a: number, b: number) => a + b],
  ['-', (a: number, b: number) => a - b],
  ['*', (a: number, b: number) => a * b],
  ['/', (a: number, b: number) => a / b],
]);
const COMPARE: Readonly<Record<Comparison, (a: number | string, b: number | string) => boolean>> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};
const isComparison = (op: string): op is Comparison => Object.hasOwn(COMPARE, op);
const isNegation = (node: Node): boolean =>
  node.type === 'UnaryExpression' && (node.operator === 'not' || node.operator === '!');

const position = (node: Node, key: 'at' | 'from' | 'to'): number | undefined => {
  const value = node[key];
  return typeof value === 'number' ? value : undefined;
};

class ConditionCompiler {
  readonly signals: SignalRef[] = [];
  readonly baselines: SignalRef[] = [];
  /** Set only while explain() runs, so one compiled form serves both the hot path and the evidence. */
  trace: ComparisonOutcome[] | undefined;
  private readonly refs = new Map<string, SignalRef>();

  constructor(
    private readonly source: string,
    private readonly stringSignals: ReadonlySet<string>,
  ) {}

  top(node: Node): Eval<boolean> {
    return this.expect(node, 'condition', `condition must be a comparison such as ${EXAMPLE}`);
  }

  private compile(node: Node): Typed {
    switch (node.type) {
      case 'Literal':
        return this.literal(node as jsep.Literal);
      case 'Identifier':
      case 'MemberExpression':
        return this.signal(node);
      case 'CallExpression':
        return this.call(node as jsep.CallExpression);
      case 'UnaryExpression':
        return this.unary(node as jsep.UnaryExpression);
      case 'BinaryExpression':
        return this.binary(node as jsep.BinaryExpression);
      case 'ConditionalExpression': {
        const question = this.source.indexOf('?', this.end((node as jsep.ConditionalExpression).test));
        return this.fail(question, `'?:'`, ` is not supported; combine conditions with 'and' / 'or'`);
      }
      case 'Compound': {
        const extra = (node as jsep.Compound).body[1];
        if (!extra) return this.fail(0, 'condition is empty', `; write a comparison such as ${EXAMPLE}`);
        if (extra.type === 'Identifier') this.checkName(extra, String(extra.name));
        return this.fail(
          this.start(extra),
          `unexpected ${this.show(extra)}`,
          `; join conditions with 'and' or 'or'`,
        );
      }
      case 'SequenceExpression':
        return this.fail(this.start(node), this.show(node), ` is a list; join conditions with 'and' or 'or'`);
      case 'ThisExpression':
        return this.fail(this.at(node), `'this'`, ' is not supported; refer to signals by name');
      case 'ArrayExpression':
        return this.fail(this.at(node), `array literal ${this.show(node)}`, ' is not supported');
      default:
        return this.fail(this.at(node), this.show(node), ' is not supported');
    }
  }

  private literal(node: jsep.Literal): Typed {
    const { value } = node;
    if (typeof value === 'string') return { kind: 'text', fn: () => value };
    if (typeof value !== 'number')
      return this.fail(this.at(node), `'${node.raw}'`, ` is not supported${ADVICE}`);
    if (!Number.isFinite(value)) this.fail(this.at(node), `number ${node.raw}`, ' is out of range');
    return { kind: 'number', fn: () => value };
  }

  private signal(node: Node): Typed {
    const ref = this.signalRef(node);
    if (!this.signals.includes(ref)) this.signals.push(ref);
    return this.stringSignals.has(ref.name)
      ? { kind: 'text', fn: (scope) => asText(scope.signal(ref)) }
      : { kind: 'number', fn: (scope) => asNumber(scope.signal(ref)) };
  }

  /** `name` or `channel.name`, interned so the scope sees the same object for a key on every call. */
  private signalRef(node: Node): SignalRef {
    let channel: string | undefined;
    let name: string;
    if (node.type === 'Identifier') {
      name = this.checkName(node, String(node.name));
    } else {
      const { object, property, computed, optional } = node as jsep.MemberExpression;
      const where = this.at(node);
      if (computed) this.fail(where, `indexing ${this.show(node)}`, ' is not supported; write channel.name');
      if (optional) this.fail(where, `'?.' in ${this.show(node)}`, ' is not supported; write channel.name');
      if (object.type !== 'Identifier') {
        this.fail(where, this.show(node), ' is not a signal; signals are written name or channel.name');
      }
      channel = this.checkName(node, String(object.name));
      name = this.checkName(node, String(property.name));
    }
    const key = channel === undefined ? name : `${channel}.${name}`;
    const ref =
      this.refs.get(key) ?? Object.freeze(channel === undefined ? { key, name } : { key, name, channel });
    this.refs.set(key, ref);
    return ref;
  }

  private checkName(node: Node, name: string): string {
    const where = this.at(node);
    const needs = name === 'not' ? 'a condition after it' : 'a condition on both sides';
    if (RESERVED.has(name)) this.fail(where, `'${name}'`, ` needs ${needs}`);
    if (!NAME.test(name)) this.fail(where, `"${name}"`, ` is not a valid signal name; ${NAME_RULE}`);
    return name;
  }

  private call(node: jsep.CallExpression): Typed {
    const where = this.at(node);
    const { callee, arguments: args } = node;
    if (callee.type !== 'Identifier') {
      // Callees carry no position of their own; their text runs from the call's start to its '('.
      const text = this.text(where, this.source.indexOf('(', where));
      this.fail(where, `"${text}"`, ` cannot be called; available functions: ${FUNCTIONS}`);
    }
    const name = String(callee.name);
    const fn = `${name}()`;
    if (name === 'baseline') {
      const arg = args[0];
      if (args.length !== 1 || !arg)
        this.fail(where, fn, ` takes 1 argument (a signal name), got ${args.length}`);
      if (arg.type !== 'Identifier' && arg.type !== 'MemberExpression') {
        this.fail(where, fn, ` needs a signal name such as baseline(envelope_bpfo), got ${this.show(arg)}`);
      }
      const ref = this.signalRef(arg);
      if (this.stringSignals.has(ref.name))
        this.fail(where, fn, ` needs a numeric signal, but ${ref.key} is text`);
      if (!this.baselines.includes(ref)) this.baselines.push(ref);
      return { kind: 'number', fn: (scope) => asNumber(scope.baseline(ref)) };
    }
    if (name === 'abs') {
      if (args.length !== 1) this.fail(where, fn, ` takes 1 argument, got ${args.length}`);
      return {
        kind: 'number',
        fn: map(this.expect(args[0] as Node, 'number', `${fn} needs numbers`), Math.abs),
      };
    }
    if (name === 'min' || name === 'max') {
      if (args.length < 2) this.fail(where, fn, ` takes at least 2 arguments, got ${args.length}`);
      const [first, ...rest] = args.map((arg) => this.expect(arg, 'number', `${fn} needs numbers`));
      const pick = name === 'min' ? Math.min : Math.max;
      return {
        kind: 'number',
        fn: rest.reduce((acc, next) => combine(acc, next, pick), first as Eval<number>),
      };
    }
    return this.fail(where, `unknown function '${name}'`, `; available functions: ${FUNCTIONS}`);
  }

  private unary(node: jsep.UnaryExpression): Typed {
    const { operator, argument } = node;
    if (isNegation(node)) {
      const negated = this.expect(argument, 'condition', `'${operator}' negates conditions`, ADVICE);
      return { kind: 'condition', fn: map(negated, (v) => !v) };
    }
    if (operator === '+') return { kind: 'number', fn: this.expect(argument, 'number', `'+' needs numbers`) };
    if (operator === '-') {
      return { kind: 'number', fn: map(this.expect(argument, 'number', `'-' needs numbers`), (v) => -v) };
    }
    return this.unsupported(operator, this.at(node));
  }

  private binary(node: jsep.BinaryExpression): Typed {
    const { operator, left, right } = node;
    // Binary nodes carry no position; the operator is the first non-blank after the left operand.
    const where = this.source.indexOf(operator, this.end(left));
    if (operator === 'and' || operator === '&&' || operator === 'or' || operator === '||') {
      const l = this.expect(left, 'condition', `'${operator}' joins conditions`, ADVICE);
      const r = this.expect(right, 'condition', `'${operator}' joins conditions`, ADVICE);
      return { kind: 'condition', fn: operator === 'and' || operator === '&&' ? and(l, r) : or(l, r) };
    }
    const arithmetic = ARITHMETIC.get(operator);
    if (arithmetic) {
      const [l, r] = [left, right].map((side) => this.expect(side, 'number', `'${operator}' needs numbers`));
      return { kind: 'number', fn: combine(l as Eval<number>, r as Eval<number>, arithmetic) };
    }
    if (isComparison(operator)) return this.comparison(node, operator, where);
    if (operator === '=') return this.fail(where, `assignment '='`, ` is not supported; use '==' to compare`);
    return this.unsupported(operator, where);
  }

  private comparison(node: jsep.BinaryExpression, comparison: Comparison, where: number): Typed {
    const { left, right } = node;
    // jsep binds `not` to the next token, so `not rpm < 100` parses as `(not rpm) < 100`: say how to write it.
    let leftmost = left;
    while (leftmost.type === 'BinaryExpression' && position(leftmost, 'from') === undefined) {
      leftmost = (leftmost as jsep.BinaryExpression).left;
    }
    if (isNegation(leftmost)) {
      const negated = this.text(this.start((leftmost as jsep.UnaryExpression).argument), this.end(right));
      this.fail(
        this.at(leftmost),
        `'${leftmost.operator}'`,
        ` applies only to the value after it; write ${leftmost.operator} (${negated})`,
      );
    }
    const [l, r] = [left, right].map((side) => {
      const typed = this.compile(side);
      if (typed.kind !== 'condition') return typed;
      const subject = `'${comparison}' compares values, but ${this.show(side)}`;
      return this.fail(this.start(side), subject, ` is a condition; join conditions with 'and' or 'or'`);
    }) as [Typed, Typed];
    if (l.kind !== r.kind) {
      this.fail(where, `cannot compare ${this.show(left)} (${l.kind}) with ${this.show(right)} (${r.kind})`);
    }
    const value = l.fn as Eval<number | string>;
    const threshold = r.fn as Eval<number | string>;
    const test = COMPARE[comparison];
    const text = this.text(this.start(left), this.end(right));
    const metric = this.text(this.start(left), this.end(left));
    return {
      kind: 'condition',
      fn: (scope) => {
        const a = value(scope);
        const b = threshold(scope);
        const holds = a === undefined || b === undefined ? undefined : test(a, b);
        this.trace?.push({ text, metric, value: a, comparison, threshold: b, holds });
        return holds;
      },
    };
  }

  /** Compiles a node that must be of one kind; the message reads "<rule>, but <node> at column N is <kind>". */
  private expect<K extends Kind>(node: Node, kind: K, rule: string, advice = ''): Eval<KindValue[K]> {
    const typed = this.compile(node);
    if (typed.kind === kind) return typed.fn as Eval<KindValue[K]>;
    return this.fail(
      this.start(node),
      `${rule}, but ${this.show(node)}`,
      ` is ${A_KIND[typed.kind]}${advice}`,
    );
  }

  private unsupported(operator: string, where: number): never {
    const hint = OPERATOR_HINTS.get(operator);
    return this.fail(
      where,
      `operator '${operator}'`,
      ` is not supported${hint ? ` (${hint})` : ''}; supported operators: ${SUPPORTED_OPERATORS}`,
    );
  }

  /** Innermost start of a node: where an error about it points. */
  private at(node: Node): number {
    return position(node, 'at') ?? this.start(node);
  }

  private start(node: Node): number {
    const from = position(node, 'from');
    if (from !== undefined) return from;
    if (node.type === 'BinaryExpression') return this.start((node as jsep.BinaryExpression).left);
    if (node.type === 'ConditionalExpression') return this.start((node as jsep.ConditionalExpression).test);
    return 0;
  }

  private end(node: Node): number {
    const to = position(node, 'to');
    if (to !== undefined) return to;
    if (node.type === 'BinaryExpression') return this.end((node as jsep.BinaryExpression).right);
    if (node.type === 'ConditionalExpression')
      return this.end((node as jsep.ConditionalExpression).alternate);
    return this.source.length;
  }

  private text(start: number, end: number): string {
    return this.source.slice(start, end).trim().replace(/\s+/g, ' ');
  }

  /** Source text of a node for messages; quoted unless it is a plain name, number or string literal. */
  private show(node: Node): string {
    const text = this.text(this.start(node), this.end(node));
    return /^([\w.]+|'[^']*'|"[^"]*")$/.test(text) ? text : `"${text}"`;
  }

  /** Messages read "<subject> at column N<rest>". */
  private fail(index: number, subject: string, rest = ''): never {
    const column = Math.max(index, 0) + 1;
    throw new ConditionError(`${subject} at column ${column}${rest}`, column);
  }
}

function parse(source: string): Node {
  try {
    return jsep(source);
  } catch (error) {
    const { index, description } = error as { index?: unknown; description?: unknown };
    const column = typeof index === 'number' ? index + 1 : 1;
    const detail = typeof description === 'string' ? description : String(error);
    if (detail === 'Unexpected "{"')
      throw new ConditionError(`object literal at column ${column} is not supported`, column);
    throw new ConditionError(`syntax error at column ${column}: ${detail}`, column);
  }
}

export function compileCondition(source: string, options: CompileOptions = {}): CompiledCondition {
  if (source.length > MAX_CONDITION_LENGTH) {
    const message = `condition is ${source.length} characters long; the limit is ${MAX_CONDITION_LENGTH}`;
    throw new ConditionError(message, MAX_CONDITION_LENGTH + 1);
  }
  if (source.trim() === '')
    throw new ConditionError(`condition is empty; write a comparison such as ${EXAMPLE}`, 1);
  const compiler = new ConditionCompiler(source, options.stringSignals ?? new Set());
  const evaluate = compiler.top(parse(source));
  return {
    source,
    signals: Object.freeze(compiler.signals),
    baselines: Object.freeze(compiler.baselines),
    evaluate,
    explain(scope) {
      const outer = compiler.trace;
      const comparisons: ComparisonOutcome[] = [];
      compiler.trace = comparisons;
      try {
        return { holds: evaluate(scope), comparisons };
      } finally {
        compiler.trace = outer;
      }
    },
  };
}
