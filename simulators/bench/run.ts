import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchAnalysis } from './analysis.bench.js';
import { benchBacklogDrain } from './backlog-drain.bench.js';
import { benchEdgeThroughput } from './edge-throughput.bench.js';
import { benchFleet } from './fleet.bench.js';
import { benchIngestPostgres, benchIngestSqlite } from './ingest.bench.js';
import type { BenchResult } from './measure.js';
import { benchOutboxCommit } from './outbox.bench.js';
import { benchRules } from './rules.bench.js';

const BENCHMARKS: Record<string, (dir: string) => Promise<BenchResult | BenchResult[]>> = {
  analysis: benchAnalysis,
  rules: benchRules,
  'outbox-commit': benchOutboxCommit,
  'backlog-drain': benchBacklogDrain,
  'ingest-sqlite': benchIngestSqlite,
  'ingest-postgres': benchIngestPostgres,
  fleet: benchFleet,
  'edge-throughput': benchEdgeThroughput,
};

export const BENCHMARK_NAMES = Object.keys(BENCHMARKS);

/** Runs the selected benchmarks one after another and reports each figure as it comes. */
export async function runBenchmarks(only: string[], report: (r: BenchResult) => void): Promise<void> {
  const unknown = only.filter((name) => !BENCHMARKS[name]);
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${BENCHMARK_NAMES.join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'plantwatch-bench-'));
  try {
    for (const [name, bench] of Object.entries(BENCHMARKS)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const results = await bench(dir);
      for (const r of Array.isArray(results) ? results : [results]) report(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
