import { afterAll, describe, expect, it } from 'vitest';
import { runChaos } from '../simulators/chaos/chaos-run.js';
import { removeTempDirs, tempDir } from './helpers/stack.js';

afterAll(removeTempDirs);

describe('store-and-forward under chaos (the CI-sized run of npm run chaos)', () => {
  it('delivers every committed ticket event exactly once, in order, across 20 kill -9s, cloud restarts and link faults', async () => {
    const lines: string[] = [];
    const summary = await runChaos({
      kills: 20,
      seed: 7,
      dataDir: tempDir(),
      progress: (l) => lines.push(l),
    });
    console.log(`chaos (20 kills): ${JSON.stringify(summary)}`);
    expect(summary.committed).toBeGreaterThan(50);
    expect(summary.cloudRestarts).toBeGreaterThan(0);
    expect(summary).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, gaps: 0 });
    expect(summary.delivered).toBe(summary.committed);
    expect(summary.maxAgentRssMb).toBeLessThan(400);
  }, 180_000);
});
