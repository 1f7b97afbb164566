import { Command } from 'commander';
import { integerIn } from '../../shared/cli-options.js';

/** One line per surface: what was tried and what went wrong. */
function figureLine(s: Record<string, unknown> & { surface: string; findings: string[] }): string {
  const { surface, findings, ...numbers } = s;
  const parts = Object.entries(numbers).map(([k, v]) => `${k} ${String(v)}`);
  return `${surface.padEnd(20)} ${parts.join(', ')}, findings ${findings.length}`;
}

export function fuzzCommand(): Command {
  return new Command('fuzz')
    .description(
      'attack every input on loopback (cloud HTTP on SQLite and PostgreSQL, console, edge HTTP, MQTT) with hostile, schema-driven data; needs the dev dependencies',
    )
    .option('--seconds <n>', 'wall-time budget for the whole run', integerIn(5, 86_400), 120)
    .option('--runs <n>', 'at most this many inputs per route', integerIn(1, 1_000_000), 100_000)
    .option('--seed <n>', 'random seed, for a reproducible run', integerIn(0, 2 ** 31), Date.now() % 2 ** 31)
    .option('--chromium <path>', 'the browser for the console check', '/usr/bin/chromium')
    .option('--json', 'print the summary as one JSON line')
    .action(
      async (flags: { seconds: number; runs: number; seed: number; chromium: string; json?: boolean }) => {
        // fast-check and playwright-core are dev dependencies: loaded only when this command runs.
        const { runFuzz } = await import('./fuzz-run.js');
        console.error(`fuzz: seed ${flags.seed}, ${flags.seconds} s, at most ${flags.runs} inputs per route`);
        const summary = await runFuzz({
          seconds: flags.seconds,
          runs: flags.runs,
          seed: flags.seed,
          chromiumPath: flags.chromium,
          progress: (line) => console.error(line),
        });
        if (flags.json) console.log(JSON.stringify(summary));
        else {
          for (const surface of summary.surfaces) console.log(figureLine(surface as never));
          for (const surface of summary.surfaces) {
            for (const finding of surface.findings) console.log(`finding (${surface.surface}): ${finding}`);
          }
          console.log(`seed ${summary.seed}: ${summary.findings} findings`);
        }
        process.exitCode = summary.findings > 0 ? 1 : 0;
      },
    );
}
