import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up to our package.json. Modules run both from source (tests) and
 * from dist/ (the installed CLI), at different depths, so a fixed '../..' would be wrong in one of them.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'plantwatch') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the plantwatch package root above ${import.meta.url}`);
    dir = parent;
  }
}

export const defaultRulesDir = (): string => join(packageRoot(), 'rules');

/** The version of this build, as tickets record it (agentVersion). */
export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
