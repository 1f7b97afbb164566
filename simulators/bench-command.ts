import { Command } from 'commander';

export function benchCommand(): Command {
  return new Command('bench')
    .description('measure hot paths against baselines taken in the same run (needs the dev dependencies)')
    .option('--json', 'one JSON object per line')
    .option(
      '--only <names>',
      'comma-separated: analysis (fft, analysis, channels), outbox-commit, ingest-sqlite',
    )
    .action(async (flags: { json?: boolean; only?: string }) => {
      // Loaded on demand: the benchmarks use fft-js, a development dependency.
      const { runBenchmarks } = await import('../test/bench/run.js');
      const only = flags.only
        ? flags.only
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
      await runBenchmarks(only, (r) => {
        if (flags.json) console.log(JSON.stringify(r));
        else
          console.log(
            `${r.name.padEnd(16)} ${String(r.value).padStart(10)} ${r.unit.padEnd(9)} ${r.ratio}× ${r.baseline.name} (${r.baseline.value} ${r.unit})`,
          );
      });
    });
}
