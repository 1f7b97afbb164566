import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/paths.js';

const capModule = pathToFileURL(join(packageRoot(), 'dist', 'edge', 'young-generation.js')).href;

/**
 * A process that starts a worker thread (which resets V8's flags) and then allocates like an agent
 * under load, with survivors, in event-loop turns; it prints its new space in MB.
 */
function newSpaceMbAfterLoad(cap: boolean, nodeFlags: string[] = []): number {
  const script = `
    import v8 from 'node:v8';
    import { Worker } from 'node:worker_threads';
    const { capYoungGeneration, reapplyYoungGenerationCap } = await import(${JSON.stringify(capModule)});
    if (${cap}) capYoungGeneration();
    const worker = new Worker('setTimeout(() => {}, 2000)', { eval: true });
    await new Promise((resolve) => worker.once('online', () => { reapplyYoungGenerationCap(); resolve(); }));
    // In event-loop turns, as an agent works (the cap is checked after each collection).
    const keep = [];
    for (let turn = 0; turn < 400; turn++) {
      for (let i = 0; i < 10000; i++) { keep.push({ i, a: [i] }); if (keep.length > 200000) keep.splice(0, 100000); }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(space.space_size / 1048576));
    process.exit(0);
  `;
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out);
}

/** The new space, in MB, of a worker started as the agent starts an analysis worker, after it allocated. */
function workerNewSpaceMb(): number {
  const script = `
    import { Worker } from 'node:worker_threads';
    const { capYoungGeneration, workerYoungGeneration } = await import(${JSON.stringify(capModule)});
    capYoungGeneration();
    // The main thread at its cap: the process-wide growth factor is 1 when the worker starts.
    const keep = [];
    for (let i = 0; i < 2000000; i++) { keep.push({ i }); if (keep.length > 100000) keep.length = 0; }
    const worker = new Worker(\`
      import v8 from 'node:v8';
      import { parentPort } from 'node:worker_threads';
      let keep = [];
      for (let i = 0; i < 20000; i++) { keep.push(new Array(100).fill(i)); if (keep.length > 2000) keep = keep.slice(1000); }
      parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576);
    \`, { eval: true, resourceLimits: workerYoungGeneration() });
    worker.once('message', (mb) => { process.stdout.write(String(mb)); process.exit(0); });
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out);
}

describe("the agent's young generation", () => {
  it("gives an analysis worker a 4 MB new space from its start, whatever the main thread's cap has set", () => {
    expect(workerNewSpaceMb()).toBe(4);
  });

  // The cap is set again after each collection, as V8 reports it: with other test files loading a
  // 2-core CI machine, one run grew to 16 MB before the report came. A cap that no longer holds fails
  // all three tries.
  it(
    'stays at 8 MB under load, across a worker thread starting; V8 alone grows it to 32 MB',
    { retry: 2 },
    () => {
      expect(newSpaceMbAfterLoad(false)).toBe(32);
      expect(newSpaceMbAfterLoad(true)).toBeLessThanOrEqual(8);
    },
  );

  it('is left as sized on the command line', () => {
    expect(newSpaceMbAfterLoad(true, ['--max-semi-space-size=16'])).toBe(32);
  });
});
