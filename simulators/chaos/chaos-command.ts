import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { integerIn } from '../../shared/cli-options.js';
import { runChaos } from './chaos-run.js';

export function chaosCommand(): Command {
  return new Command('chaos')
    .description(
      'store-and-forward proof: kill -9 the edge agent at random, break the link and the cloud, then check every ticket event arrived exactly once',
    )
    .option('--kills <n>', 'how many times the agent is killed', integerIn(1, 100_000), 200)
    .option('--seed <n>', 'random seed, for a reproducible run', integerIn(0, 2 ** 31), 1)
    .option('--data-dir <dir>', 'where the run keeps its databases (default: a new temp folder)')
    .option('--json', 'print the summary as one JSON line')
    .action(async (flags: { kills: number; seed: number; dataDir?: string; json?: boolean }) => {
      const dataDir = flags.dataDir ?? mkdtempSync(join(tmpdir(), 'plantwatch-chaos-'));
      console.error(`chaos: ${flags.kills} kills, data in ${dataDir}`);
      const summary = await runChaos({
        kills: flags.kills,
        seed: flags.seed,
        dataDir,
        progress: (line) => console.error(line),
      });
      const { kills, committed, delivered, lost, duplicated, maxAgentRssMb } = summary;
      const details =
        `out of order ${summary.outOfOrder}, gaps ${summary.gaps}, ${summary.cloudRestarts} cloud restarts, ` +
        `drained in ${(summary.drainMs / 1000).toFixed(1)} s`;
      if (flags.json) {
        console.error(details);
        // The contract's line (DESIGN.md): these fields, in this order, last.
        console.log(JSON.stringify({ kills, committed, delivered, lost, duplicated, maxAgentRssMb }));
      } else {
        console.log(
          `events committed ${committed}, delivered ${delivered}, lost ${lost}, duplicated ${duplicated}, ` +
            `max agent RSS ${maxAgentRssMb} MB; ${kills} kills; ${details}`,
        );
      }
      const failed =
        lost > 0 || duplicated > 0 || summary.outOfOrder > 0 || summary.gaps > 0 || committed === 0;
      process.exitCode = failed ? 1 : 0;
    });
}
