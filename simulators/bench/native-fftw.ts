import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../shared/paths.js';
import { FFTW_INSTALL_HINT } from '../../edge/signal/native/build.js';

const run = promisify(execFile);

/** Where the C source lives: the bench compiles it on the machine it measures. */
export const NATIVE_FFTW_SOURCE = join(packageRoot(), 'simulators', 'bench', 'native', 'fftw-r2c.c');

/** What the measured transform is, as the bench names its baseline. */
export const NATIVE_FFTW_NAME = 'fftw r2c (native, float32, FFTW_MEASURE)';

const INSTALL_HINT = FFTW_INSTALL_HINT;

export type NativeFftwRates =
  { available: true; opsPerSecond: Map<number, number> } | { available: false; reason: string };

export interface NativeFftwOptions {
  /** Folder for the compiled program (the bench run's temporary folder). */
  dir: string;
  sizes: number[];
  /** Measuring time per size. */
  seconds: number;
  /** The C compiler; default $CC or cc. */
  compiler?: string;
}

/**
 * Transforms/s of FFTW's single-precision real-to-complex transform at each size: the native
 * reference the analysis is judged against. The program is compiled here with the machine's C
 * compiler, so nothing native ships in the repository; when the compiler or FFTW is missing the
 * result says what to install instead of failing the bench.
 */
export async function measureNativeFftw(options: NativeFftwOptions): Promise<NativeFftwRates> {
  const compiler = options.compiler ?? process.env['CC'] ?? 'cc';
  const program = join(options.dir, 'fftw-r2c');
  mkdirSync(options.dir, { recursive: true });
  const compiled = spawnSync(compiler, ['-O2', '-o', program, NATIVE_FFTW_SOURCE, '-lfftw3f', '-lm'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (compiled.error) {
    const missing = (compiled.error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      available: false,
      reason: missing
        ? `no C compiler (${compiler}) found: ${INSTALL_HINT}`
        : `compiling ${NATIVE_FFTW_SOURCE} with ${compiler} failed (${compiled.error.message}): ${INSTALL_HINT}`,
    };
  }
  if (compiled.status !== 0) {
    const firstError =
      (compiled.stderr ?? '').split('\n').find((line) => /error/i.test(line)) ?? `exit ${compiled.status}`;
    const noFftw = /fftw3\.h|-lfftw3f|fftw3f/.test(compiled.stderr ?? '');
    return {
      available: false,
      reason: noFftw
        ? `FFTW (single precision) is not installed for ${compiler}: ${INSTALL_HINT}`
        : `compiling ${NATIVE_FFTW_SOURCE} failed: ${firstError.trim()}`,
    };
  }
  try {
    // FFTW_MEASURE planning takes up to a few seconds per size before the timed part starts.
    const timeoutMs = options.sizes.length * (options.seconds * 1000 + 30_000);
    const { stdout } = await run(program, [String(options.seconds), ...options.sizes.map(String)], {
      timeout: timeoutMs,
    });
    const opsPerSecond = new Map<number, number>();
    for (const line of stdout.split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as { n: number; opsPerSecond: number };
      opsPerSecond.set(parsed.n, parsed.opsPerSecond);
    }
    const missing = options.sizes.filter((n) => !(opsPerSecond.get(n)! > 0));
    if (missing.length > 0)
      return { available: false, reason: `the FFTW reference printed no rate for N = ${missing.join(', ')}` };
    return { available: true, opsPerSecond };
  } catch (error) {
    return { available: false, reason: `the FFTW reference failed to run: ${(error as Error).message}` };
  }
}
