import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureNativeFftw } from './native-fftw.js';

const dir = mkdtempSync(join(tmpdir(), 'plantwatch-native-fftw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('native FFTW reference of the bench', () => {
  it('compiles the C program and reports transforms/s for every size', async () => {
    const rates = await measureNativeFftw({ dir: join(dir, 'build'), sizes: [256, 1024], seconds: 0.05 });
    if (!rates.available) throw new Error(`expected the reference to run here: ${rates.reason}`);
    expect([...rates.opsPerSecond.keys()]).toEqual([256, 1024]);
    for (const ops of rates.opsPerSecond.values()) expect(ops).toBeGreaterThan(0);
  });

  it('says what to install when there is no C compiler, instead of failing', async () => {
    const rates = await measureNativeFftw({
      dir: join(dir, 'no-compiler'),
      sizes: [256],
      seconds: 0.05,
      compiler: join(dir, 'no-such-cc'),
    });
    expect(rates.available).toBe(false);
    if (!rates.available) expect(rates.reason).toMatch(/no C compiler .*no-such-cc.*libfftw3-dev/);
  });

  it('says FFTW is missing when the compiler cannot find it', async () => {
    // A stand-in compiler that fails the way gcc does without libfftw3-dev.
    const fakeCompiler = join(dir, 'cc-without-fftw');
    writeFileSync(
      fakeCompiler,
      '#!/bin/sh\necho "fftw-r2c.c:11:10: fatal error: fftw3.h: No such file or directory" >&2\nexit 1\n',
    );
    chmodSync(fakeCompiler, 0o755);
    const rates = await measureNativeFftw({
      dir: join(dir, 'no-fftw'),
      sizes: [256],
      seconds: 0.05,
      compiler: fakeCompiler,
    });
    expect(rates.available).toBe(false);
    if (!rates.available) expect(rates.reason).toMatch(/FFTW .*not installed.*libfftw3-dev/);
  });
});
