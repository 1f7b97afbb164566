import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../shared/paths.js';

/**
 * The real bearing recordings shipped in the repository (test/fixtures/recordings, provenance in its
 * README): a clone has them, so their absence is a broken checkout and fails.
 */
export const BEARING_DATA = join(packageRoot(), 'test', 'fixtures', 'recordings');

export function readF32(relativePath: string): Float32Array {
  const path = join(BEARING_DATA, relativePath);
  if (!existsSync(path))
    throw new Error(
      `bearing recording ${path} is missing: the checkout is incomplete (git checkout -- test/fixtures/recordings)`,
    );
  const bytes = readFileSync(path);
  const samples = new Float32Array(bytes.length / 4);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readFloatLE(i * 4);
  return samples;
}

export const IMS_SNAPSHOT = 20_480;

export const CWRU_RECORDS = [
  { file: 'cwru-dev/normal_000_0hp_097.f32', rpm: 1796, fault: null },
  { file: 'cwru-dev/inner_021_1hp_210.f32', rpm: 1774, fault: 'inner_race' },
  { file: 'cwru-dev/outer_007_1hp_131.f32', rpm: 1773, fault: 'outer_race' },
  { file: 'cwru-dev/ball_021_1hp_223.f32', rpm: 1774, fault: 'rolling_element' },
] as const;
