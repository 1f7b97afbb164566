import { Command } from 'commander';

export function benchCommand(): Command {
  return new Command('bench')
    .description('measure hot paths against baselines taken in the same run (needs the dev dependencies)')
    .option('--json', 'one JSON object per line')
    .option(
      '--only <names>',
      'comma-separated: analysis (fft, analysis, channels, native FFTW reference), rules, outbox-commit, backlog-drain, ingest-sqlite, ingest-postgres, fleet, edge-throughput (a real agent process: waveforms per agent CPU-second, JSON and binary, and its RSS)',
    )
    .action(async (flags: { json?: boolean; only?: string }) => {
      const { runBenchmarks } = await loadBenchmarks();
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

/**
 * Loaded on demand: the benchmarks measure against fft-js, a development dependency, which an
 * install without dev dependencies lacks; every other command must work there all the same.
 */
async function loadBenchmarks(): Promise<typeof import('./run.js')> {
  try {
    return await import('./run.js');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    if (missing && /fft-js/.test((error as Error).message)) {
      throw new Error(
        'bench measures against fft-js, a development dependency that is not installed: run `npm install` (without --omit=dev) in the plantwatch folder first',
        { cause: error },
      );
    }
    throw error;
  }
}
