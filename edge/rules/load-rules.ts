import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, type FileProblem, readYamlFile } from '../../shared/yaml-file.js';
import { durationMs, RuleFile, type ThresholdRuleSpec } from './rule-schema.js';

export interface LoadedRule {
  spec: ThresholdRuleSpec;
  /** Content hash of the rule: the version every ticket it raises carries. */
  version: string;
  file: string;
  pendingMs: number;
  clearBelow: number;
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

export const ruleVersion = (spec: ThresholdRuleSpec): string =>
  createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);

function loadRuleFile(file: string, seenIds: Map<string, string>): RuleSet {
  const problems: FileProblem[] = [];
  const rules: LoadedRule[] = [];
  try {
    const parsed = readYamlFile(file, RuleFile);
    parsed.value.rules.forEach((spec, index) => {
      const at = (field: string) => {
        const path = `rules/${index}/${field}`;
        return { file, line: parsed.lineOf(path), field: path };
      };
      const clearBelow = spec.clearBelow ?? spec.above;
      if (clearBelow > spec.above) {
        problems.push({
          ...at('clearBelow'),
          message: `must not exceed 'above' (${spec.above}), or the rule never clears`,
        });
      }
      const earlier = seenIds.get(spec.id);
      if (earlier) {
        problems.push({
          ...at('id'),
          message: `duplicate rule id '${spec.id}' (first defined in ${earlier})`,
        });
      }
      seenIds.set(spec.id, file);
      rules.push({ spec, version: ruleVersion(spec), file, pendingMs: durationMs(spec.for), clearBelow });
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
