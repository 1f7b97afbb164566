import { Command } from 'commander';
import { defaultRulesDir } from '../../shared/paths.js';
import { formatProblem } from '../../shared/yaml-file.js';
import { loadRules } from './load-rules.js';

export function rulesCommand(): Command {
  const rules = new Command('rules').description('work with rule files');
  rules
    .command('check')
    .description('validate rule files; prints file:line: field: message per error, exits 1 on any')
    .argument('[dir]', 'rules directory', defaultRulesDir())
    .action((dir: string) => {
      const result = loadRules(dir);
      for (const problem of result.problems) console.error(formatProblem(problem));
      if (result.problems.length > 0) {
        process.exitCode = 1;
        return;
      }
      for (const rule of result.rules) {
        // Names that are not features are reading channels: listing them makes a misspelt name visible.
        const readings = [...rule.readingChannels];
        const reads = readings.length > 0 ? `; waits for readings: ${readings.join(', ')}` : '';
        console.log(`${rule.file}: ${rule.spec.id} ok (version ${rule.version}, ${rule.watch.kind}${reads})`);
      }
      console.log(`${result.rules.length} rules ok`);
    });
  return rules;
}
