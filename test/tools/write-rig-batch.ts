/**
 * Writes the synthetic stand-ins for other rigs (`simulators/vibration/rig-records.ts`: CWRU 48 kHz
 * and fan end, Paderborn 64 kHz, MFPT 97,656 and 48,828 Hz; every fault and a healthy record) as a
 * `plantwatch diagnose --batch` folder. Run after `npm run build`:
 * `node dist/test/tools/write-rig-batch.js <folder> [--slip 0.02] [--shaft-mm-s 2] [--seed 11]`,
 * then `node dist/plantwatch.js diagnose --batch <folder>`.
 */
import { writeRigBatch } from '../helpers/rig-batch.js';

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
const records = writeRigBatch(folder, {
  slip: numberAfter(args, '--slip', 0.015),
  shaftVelocityMmS: numberAfter(args, '--shaft-mm-s', 0),
  seed: numberAfter(args, '--seed', 11),
});
console.log(`${records} records in ${folder}`);
