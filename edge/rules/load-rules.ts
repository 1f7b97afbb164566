import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, type FileProblem, readYamlFile } from '../../shared/yaml-file.js';
import { type CompiledCondition, compileCondition, ConditionError } from './condition.js';
import { durationMs } from '../../shared/duration.js';
import { FAULTS, type Fault } from '../../shared/schema/index.js';
import { RuleFile, type RuleSpec } from './rule-schema.js';
import { type NamedSignal, parseSignalName, readsFeature, signalProblem, TEXT_SIGNALS } from './signals.js';

/** A condition over the asset's signals, with its clear condition (hysteresis). */
export interface ConditionWatch {
  kind: 'condition';
  when: CompiledCondition;
  clearWhen?: CompiledCondition;
}

/** A fitted trend of one signal, projected to a threshold. */
export interface TrendWatch {
  kind: 'trend';
  metric: NamedSignal & { key: string };
  threshold: number;
  direction: 'rising' | 'falling';
  horizonMs: number;
  historyMs: number;
  model: 'linear' | 'exponential';
  minPoints: number;
}

/** A channel that has delivered no good value for a while. */
export interface NoDataWatch {
  kind: 'no-data';
  silenceMs: number;
}

export interface LoadedRule {
  spec: RuleSpec;
  /** Content hash of the rule: the version every ticket it raises carries. */
  version: string;
  file: string;
  watch: ConditionWatch | TrendWatch | NoDataWatch;
  runningWhen?: CompiledCondition;
  pendingMs: number;
  keepFiringMs: number;
  staleAfterMs?: number;
  baseline: { learnMs?: number; minSamples: number };
  /** Evaluated on each waveform window when it reads a feature, on each reading of its channels otherwise. */
  readsFeatures: boolean;
  /** Reading channels the rule reads: a reading on one of them re-evaluates a reading-only rule. */
  readingChannels: ReadonlySet<string>;
  /** The diagnosed faults that explain this generic rule (`explainedBy`, resolved); empty for most rules. */
  explainedBy: ReadonlySet<Fault>;
}

export interface RuleSet {
  rules: LoadedRule[];
  problems: FileProblem[];
}

/** Key order must not change the version, so the hash is over a canonical JSON form. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const ruleVersion = (spec: RuleSpec): string =>
  createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);

type Report = (field: string, message: string) => void;

function compile(source: string, field: string, report: Report): CompiledCondition | undefined {
  let condition: CompiledCondition;
  try {
    condition = compileCondition(source, { stringSignals: TEXT_SIGNALS });
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    report(field, error.message);
    return undefined;
  }
  let ok = true;
  for (const ref of [...condition.signals, ...condition.baselines]) {
    const problem = signalProblem(ref);
    if (problem) {
      report(field, problem);
      ok = false;
    }
  }
  return ok ? condition : undefined;
}

/** The threshold shorthand is sugar for a condition, so one evaluator serves both. */
function conditionWatch(spec: RuleSpec, report: Report): ConditionWatch | undefined {
  if (spec.metric !== undefined) {
    if (spec.above === undefined) {
      report('above', `a threshold rule on '${spec.metric}' needs 'above'`);
      return undefined;
    }
    const clearBelow = spec.clearBelow ?? spec.above;
    if (clearBelow > spec.above) {
      report('clearBelow', `must not exceed 'above' (${spec.above}), or the rule never clears`);
      return undefined;
    }
    const when = compile(`${spec.metric} > ${spec.above}`, 'metric', report);
    const clearWhen =
      spec.clearBelow === undefined ? undefined : compile(`${spec.metric} < ${clearBelow}`, 'metric', report);
    return when && { kind: 'condition', when, ...(clearWhen ? { clearWhen } : {}) };
  }
  const when = compile(spec.when!, 'when', report);
  const clearWhen = spec.clearWhen === undefined ? undefined : compile(spec.clearWhen, 'clearWhen', report);
  if (!when || (spec.clearWhen !== undefined && !clearWhen)) return undefined;
  return { kind: 'condition', when, ...(clearWhen ? { clearWhen } : {}) };
}

function trendWatch(spec: RuleSpec, report: Report): TrendWatch | undefined {
  const trend = spec.trend!;
  const metric = parseSignalName(trend.metric);
  const problem =
    signalProblem(metric) ??
    (TEXT_SIGNALS.has(metric.name) ? `'${trend.metric}' is text, not a number` : undefined);
  if (problem) {
    report('trend/metric', problem);
    return undefined;
  }
  const horizonMs = durationMs(trend.horizon);
  const historyMs = durationMs(trend.history);
  if (horizonMs <= 0 || historyMs <= 0) {
    report(horizonMs <= 0 ? 'trend/horizon' : 'trend/history', 'must be longer than 0');
    return undefined;
  }
  return {
    kind: 'trend',
    metric: { ...metric, key: trend.metric },
    threshold: trend.threshold,
    direction: trend.direction ?? 'rising',
    horizonMs,
    historyMs,
    model: trend.model ?? 'linear',
    minPoints: trend.minPoints ?? 10,
  };
}

const WATCH_FIELDS = ['when', 'metric', 'trend', 'noData'] as const;

/** Faults a diagnosis names: everything but the generic threshold and a sensor's own fault. */
export const DIAGNOSED_FAULTS: readonly Fault[] = FAULTS.filter(
  (f) => f !== 'threshold' && f !== 'sensor_fault',
);
/** `explainedBy: [any-diagnosed-fault]` stands for every diagnosed fault. */
export const ANY_DIAGNOSED_FAULT = 'any-diagnosed-fault';

/**
 * `explainedBy` folds a generic condition into a diagnosed fault's ticket. Only generic rules may
 * declare it, and only diagnosed faults explain them: so a folded ticket is never itself folded.
 */
function explanations(spec: RuleSpec, report: Report): Set<Fault> | undefined {
  if (spec.explainedBy === undefined) return new Set();
  const rule = `rule '${spec.id}'`;
  if (spec.fault !== 'threshold') {
    report(
      'explainedBy',
      `${rule} raises '${spec.fault}' tickets; only a generic rule (fault: threshold) can be explained by a diagnosis`,
    );
    return undefined;
  }
  const faults = new Set<Fault>();
  let ok = true;
  spec.explainedBy.forEach((name, index) => {
    if (name === ANY_DIAGNOSED_FAULT) {
      for (const fault of DIAGNOSED_FAULTS) faults.add(fault);
    } else if ((DIAGNOSED_FAULTS as readonly string[]).includes(name)) {
      faults.add(name as Fault);
    } else {
      ok = false;
      report(
        `explainedBy/${index}`,
        `${rule}: '${name}' is not a diagnosed fault; use one of ${DIAGNOSED_FAULTS.join(', ')} or ${ANY_DIAGNOSED_FAULT}`,
      );
    }
  });
  return ok ? faults : undefined;
}

/** Checks what the schema cannot say and compiles the conditions; undefined when the rule has problems. */
function loadRule(spec: RuleSpec, file: string, report: Report): LoadedRule | undefined {
  const given = WATCH_FIELDS.filter((field) => spec[field] !== undefined);
  if (given.length !== 1) {
    report(
      given[1] ?? '',
      given.length === 0
        ? `a rule needs one of ${WATCH_FIELDS.map((f) => `'${f}'`).join(', ')}: what it watches`
        : `a rule watches one thing: '${given[0]}' and '${given[1]}' cannot be combined`,
    );
    return undefined;
  }
  if (spec.clearWhen !== undefined && spec.when === undefined)
    report('clearWhen', "only a 'when' rule has a clear condition (a threshold rule uses 'clearBelow')");
  if (spec.noData !== undefined && spec.fault !== 'sensor_fault')
    report('fault', `a 'noData' rule raises sensor_fault tickets, got '${spec.fault}'`);

  let watch: LoadedRule['watch'] | undefined;
  if (spec.trend) watch = trendWatch(spec, report);
  else if (spec.noData !== undefined) watch = { kind: 'no-data', silenceMs: durationMs(spec.noData) };
  else watch = conditionWatch(spec, report);
  const runningWhen =
    spec.runningWhen === undefined ? undefined : compile(spec.runningWhen, 'runningWhen', report);
  const explainedBy = explanations(spec, report);
  if (!watch || !explainedBy || (spec.runningWhen !== undefined && !runningWhen)) return undefined;

  const conditions = [
    ...(watch.kind === 'condition' ? [watch.when, ...(watch.clearWhen ? [watch.clearWhen] : [])] : []),
    ...(runningWhen ? [runningWhen] : []),
  ];
  const signals: NamedSignal[] = conditions.flatMap((c) => [...c.signals, ...c.baselines]);
  if (watch.kind === 'trend') signals.push(watch.metric);
  const readingChannels = new Set(signals.filter((s) => !readsFeature(s)).map((s) => s.name));
  return {
    spec,
    version: ruleVersion(spec),
    file,
    watch,
    ...(runningWhen ? { runningWhen } : {}),
    pendingMs: durationMs(spec.for),
    keepFiringMs: durationMs(spec.keepFiring),
    ...(spec.staleAfter ? { staleAfterMs: durationMs(spec.staleAfter) } : {}),
    baseline: {
      ...(spec.baseline ? { learnMs: durationMs(spec.baseline.learn) } : {}),
      minSamples: spec.baseline?.minSamples ?? 30,
    },
    readsFeatures: watch.kind !== 'no-data' && signals.some(readsFeature),
    readingChannels,
    explainedBy,
  };
}

function loadRuleFile(file: string, seenIds: Map<string, string>): RuleSet {
  const problems: FileProblem[] = [];
  const rules: LoadedRule[] = [];
  try {
    const parsed = readYamlFile(file, RuleFile);
    parsed.value.rules.forEach((spec, index) => {
      const report: Report = (field, message) => {
        const path = `rules/${index}${field ? `/${field}` : ''}`;
        problems.push({ file, line: parsed.lineOf(path), field: path, message });
      };
      const earlier = seenIds.get(spec.id);
      if (earlier) report('id', `duplicate rule id '${spec.id}' (first defined in ${earlier})`);
      seenIds.set(spec.id, file);
      const before = problems.length;
      const rule = loadRule(spec, file, report);
      if (rule && problems.length === before) rules.push(rule);
    });
  } catch (error) {
    if (!(error instanceof FileError)) throw error;
    problems.push(...error.problems);
  }
  return { rules, problems };
}

/** Loads every *.yaml / *.yml in a directory. Problems are returned, not thrown, so callers can keep the last good set. */
export function loadRules(dir: string): RuleSet {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch (error) {
    return {
      rules: [],
      problems: [
        {
          file: dir,
          line: 0,
          field: '',
          message: `cannot read rules directory: ${(error as Error).message}`,
        },
      ],
    };
  }
  if (files.length === 0) {
    return {
      rules: [],
      problems: [{ file: dir, line: 0, field: '', message: 'no rule files (*.yaml) found' }],
    };
  }
  const seenIds = new Map<string, string>();
  const sets = files.map((file) => loadRuleFile(file, seenIds));
  return { rules: sets.flatMap((s) => s.rules), problems: sets.flatMap((s) => s.problems) };
}
