import { type FSWatcher, watch } from 'node:fs';
import type { FileProblem } from '../../shared/yaml-file.js';
import { type LoadedRule, loadRules } from './load-rules.js';

export interface RulesWatcherOptions {
  dir: string;
  /** A good rule set was loaded: swap it in. */
  onRules: (rules: LoadedRule[]) => void;
  /** An edit broke the rules: the last good set keeps running. */
  onProblems: (problems: FileProblem[]) => void;
  /** Editors write a file in several steps; reload once they are done. */
  debounceMs?: number;
}

/**
 * Hot reload: watches the rules directory and reloads the whole set on any change. A set with any
 * problem is rejected as a whole, so a half-saved edit never runs half a rule set.
 */
export class RulesWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RulesWatcherOptions) {}

  start(): void {
    this.watcher = watch(this.options.dir, () => this.schedule());
    this.watcher.on('error', (error) =>
      this.options.onProblems([
        { file: this.options.dir, line: 0, field: '', message: `cannot watch for changes: ${error.message}` },
      ]),
    );
  }

  /** Reloads now; what the file watcher calls, and what a SIGHUP could. */
  reload(): void {
    const set = loadRules(this.options.dir);
    if (set.problems.length > 0) this.options.onProblems(set.problems);
    else this.options.onRules(set.rules);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.options.debounceMs ?? 200);
  }
}
