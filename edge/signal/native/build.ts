import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../../shared/paths.js';

/*
 * `npm run build` compiles the native analysis kernels (this folder's C files) with the machine's C
 * compiler against its FFTW, like better-sqlite3's native build but with no download: node's own
 * headers and the system's FFTW are all it needs. Without them it says so in one line and the
 * analysis uses the WebAssembly transforms; the build never fails for it.
 */

const SOURCE_DIR = join(packageRoot(), 'edge', 'signal', 'native');
export const NATIVE_KERNELS_SOURCES = [
  'addon.c',
  'fftw-plans.c',
  'window-spectra.c',
  'x86-loops.c',
  'spectral-median.c',
  'free-memory.c',
].map((file) => join(SOURCE_DIR, file));

/** Where the compiled addon goes (dist/ is the build's output, never committed). */
export const NATIVE_KERNELS_PATH = join(packageRoot(), 'dist', 'native', 'analysis-kernels.node');

export const FFTW_INSTALL_HINT =
  'install a C compiler and FFTW (Debian/Ubuntu: apt-get install gcc libfftw3-dev; Fedora: dnf install gcc fftw-devel; macOS: brew install fftw)';

export type NativeBuild = { built: true; path: string } | { built: false; reason: string };

/** node_api.h ships with node (include/node beside bin/), or with the distribution's node headers. */
function nodeHeaders(): string | undefined {
  const candidates = [
    process.env['PLANTWATCH_NODE_HEADERS'],
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'node_api.h')));
}

/** The compiler's first error line, or its exit status. */
function firstError(stderr: string, status: number | null): string {
  return (stderr.split('\n').find((line) => /error/i.test(line)) ?? `exit ${status}`).trim();
}

export function buildNativeKernels(compiler = process.env['CC'] ?? 'cc'): NativeBuild {
  const headers = nodeHeaders();
  if (!headers)
    return {
      built: false,
      reason: `node's headers (node_api.h) were not found beside ${process.execPath}: set PLANTWATCH_NODE_HEADERS to their folder`,
    };
  mkdirSync(dirname(NATIVE_KERNELS_PATH), { recursive: true });
  // Built under another name and renamed when it loads: a running agent never sees half a file.
  const building = NATIVE_KERNELS_PATH.replace(/\.node$/, `.${process.pid}.building.node`);
  const flags = ['-O3', '-fno-math-errno', '-fno-trapping-math', '-shared', '-fPIC'];
  // Node resolves the addon's napi_* symbols when it loads it; macOS's linker must be told so.
  if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
  const compiled = spawnSync(
    compiler,
    [...flags, '-I', headers, '-o', building, ...NATIVE_KERNELS_SOURCES, '-lfftw3f', '-lm'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (compiled.error) {
    const missing = (compiled.error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      built: false,
      reason: missing ? `no C compiler (${compiler}) found: ${FFTW_INSTALL_HINT}` : compiled.error.message,
    };
  }
  if (compiled.status !== 0) {
    rmSync(building, { force: true });
    const noFftw = /fftw3\.h|-lfftw3f|fftw3f/.test(compiled.stderr ?? '');
    return {
      built: false,
      reason: noFftw
        ? `FFTW (single precision) is not installed: ${FFTW_INSTALL_HINT}`
        : `compiling ${SOURCE_DIR} failed: ${firstError(compiled.stderr ?? '', compiled.status)}`,
    };
  }
  try {
    createRequire(import.meta.url)(building);
  } catch (error) {
    rmSync(building, { force: true });
    return { built: false, reason: `the compiled addon did not load: ${(error as Error).message}` };
  }
  renameSync(building, NATIVE_KERNELS_PATH);
  return { built: true, path: NATIVE_KERNELS_PATH };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const build = buildNativeKernels();
  if (build.built) {
    console.log(`native analysis kernels (FFTW) built: ${build.path}`);
  } else {
    // A stale addon from an earlier build would not match this source: the WebAssembly path it is.
    rmSync(NATIVE_KERNELS_PATH, { force: true });
    console.log(
      `native analysis kernels not built, the analysis uses the WebAssembly FFT (about half as fast): ${build.reason}`,
    );
  }
}
