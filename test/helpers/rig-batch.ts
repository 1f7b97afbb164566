/**
 * The synthetic other-rig records (`simulators/vibration/rig-records.ts`) written as a
 * `plantwatch diagnose --batch` folder: one f32le file per rig and fault, and an index.json with
 * label, sample rate, rpm and catalog bearing. Used by `test/diagnose-other-rigs.test.ts` and
 * `test/tools/write-rig-batch.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RIG_FAULTS, rigRecord, RIGS } from '../../simulators/vibration/rig-records.js';

export interface RigBatchOptions {
  slip: number;
  shaftVelocityMmS: number;
  seed: number;
}

/** Writes the folder and returns how many records it holds. */
export function writeRigBatch(folder: string, options: RigBatchOptions): number {
  mkdirSync(folder, { recursive: true });
  const files = [];
  for (const rig of RIGS) {
    for (const fault of RIG_FAULTS) {
      const file = `${rig.name}_${fault}.f32`;
      const samples = Float32Array.from(rigRecord(rig, fault, options));
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
  const title = `synthetic other rigs, slip ${options.slip}, seed ${options.seed}`;
  writeFileSync(join(folder, 'index.json'), `${JSON.stringify({ title, files }, null, 2)}\n`);
  return files.length;
}
