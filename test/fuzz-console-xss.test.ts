import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { checkConsoleXss } from '../simulators/fuzz/console-xss.js';
import { removeTempDirs, startTestCloud } from './helpers/stack.js';

let cloud: RunningCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud?.stop();
  removeTempDirs();
});

describe('console: stored script', () => {
  it('renders HTML and script in ticket texts, comments, asset names and routing rule names as text, never runs it', async () => {
    const figures = await checkConsoleXss(cloud, '/usr/bin/chromium');
    console.log(`fuzz console XSS: ${JSON.stringify(figures)}`);
    expect(figures.findings).toEqual([]);
    expect(figures.scriptsExecuted).toBe(0);
    expect(figures.payloadsStored).toBeGreaterThanOrEqual(35);
    expect(figures.pagesOpened).toBeGreaterThanOrEqual(14);
  }, 120_000);
});
