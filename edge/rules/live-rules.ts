import type { Logger } from 'pino';
import { type FileProblem, formatProblem } from '../../shared/yaml-file.js';
import type { EdgeMetrics } from '../metrics.js';
import { type LoadedRule, loadRules } from './load-rules.js';
import type { RuleEngine } from './rule-engine.js';
import { RulesWatcher } from './rules-watcher.js';

/** The rule files at start: any error stops the agent there, before it opens anything. */
export function loadStartupRules(dir: string): LoadedRule[] {
  const ruleSet = loadRules(dir);
  if (ruleSet.problems.length > 0) {
    throw new Error(`rule files have errors:\n${ruleSet.problems.map(formatProblem).join('\n')}`);
  }
  return ruleSet.rules;
}

export interface LiveRulesOptions {
  dir: string;
  /** The rules loaded at start (loadStartupRules). */
  rules: readonly LoadedRule[];
  engine: RuleEngine;
  metrics: EdgeMetrics;
  logger: Logger;
}

/**
 * The rule set the engine runs, hot-reloaded from its directory once start() is called. A reload
 * with errors is rejected whole: the previous rules keep running, and its problems stay in the
 * status until the files are fixed.
 */
export class LiveRules {
  private rules: readonly LoadedRule[];
  private problems: FileProblem[] = [];
  private readonly watcher: RulesWatcher;

  constructor(options: LiveRulesOptions) {
    const { dir, engine, metrics, logger } = options;
    this.rules = options.rules;
    engine.setRules(this.rules);
    metrics.rulesLoaded.set(this.rules.length);
    this.watcher = new RulesWatcher({
      dir,
      onRules: (loaded) => {
        this.rules = loaded;
        this.problems = [];
        engine.setRules(loaded);
        metrics.rulesLoaded.set(loaded.length);
        metrics.ruleReloads.inc({ result: 'ok' });
        logger.info(
          { rules: loaded.map((r) => `${r.spec.id}@${r.version}`) },
          `rules reloaded from ${dir}: ${loaded.length} rules`,
        );
      },
      onProblems: (problems) => {
        this.problems = problems;
        metrics.ruleReloads.inc({ result: 'rejected' });
        logger.error(
          { problems: problems.map(formatProblem) },
          `rule files have errors; the previous ${this.rules.length} rules keep running until they are fixed:\n${problems.map(formatProblem).join('\n')}`,
        );
      },
    });
  }

  get count(): number {
    return this.rules.length;
  }

  /** Watches the directory: a change reloads the whole set. */
  start(): void {
    this.watcher.start();
  }

  stop(): void {
    this.watcher.stop();
  }

  /** The rules running, and the problems of the last rejected reload, for the status. */
  status(): { rules: { id: string; version: string; file: string }[]; ruleProblems: string[] } {
    return {
      rules: this.rules.map((r) => ({ id: r.spec.id, version: r.version, file: r.file })),
      ruleProblems: this.problems.map(formatProblem),
    };
  }
}
