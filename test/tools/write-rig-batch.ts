/**
 * Writes the synthetic stand-ins for other rigs (`simulators/vibration/rig-records.ts`: CWRU 48 kHz
 * and fan end, Paderborn 64 kHz, MFPT 97,656 and 48,828 Hz; every fault and a healthy record) as a
 * `plantwatch diagnose --batch` folder: one f32le file per record and an index.json with label,
 * sample rate, rpm and catalog bearing. Run after `npm run build`:
 * `node dist/test/tools/write-rig-batch.js <folder> [--slip 0.02] [--shaft-mm-s 2] [--seed 11]`,
 * then `node dist/plantwatch.js diagnose --batch <folder>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RIG_FAULTS, rigRecord, RIGS } from '../../simulators/vibration/rig-records.js';

function numberAfter(args: string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`${flag} needs a number, got ${args[i + 1]}`);
  return value;
}

const args = process.argv.slice(2);
const folder = args[0];
if (!folder || folder.startsWith('--')) {
  console.error('usage: write-rig-batch <folder> [--slip 0.02] [--shaft-mm-s 2] [--seed 11]');
  process.exit(2);
}
const slip = numberAfter(args, '--slip', 0.015);
const shaftVelocityMmS = numberAfter(args, '--shaft-mm-s', 0);
const seed = numberAfter(args, '--seed', 11);
mkdirSync(folder, { recursive: true });
const files = [];
for (const rig of RIGS) {
  for (const fault of RIG_FAULTS) {
    const file = `${rig.name}_${fault}.f32`;
    const samples = Float32Array.from(rigRecord(rig, fault, { seed, slip, shaftVelocityMmS }));
    writeFileSync(join(folder, file), Buffer.from(samples.buffer));
    files.push({
      file,
      label: fault,
      sample_rate_hz: rig.sampleRateHz,
      rpm: Math.round(rig.shaftHz * 60 * 100) / 100,
      bearing: rig.bearingId,
    });
  }
}
writeFileSync(
  join(folder, 'index.json'),
  `${JSON.stringify({ title: `synthetic other rigs, slip ${slip}, seed ${seed}`, files }, null, 2)}\n`,
);
console.log(`${files.length} records in ${folder}`);
