import type { MachineClass } from '../../shared/schema/asset.js';
import type { IsoZone } from '../../shared/schema/features.js';

/**
 * Evaluation zones for broadband velocity RMS (10–1000 Hz) of machines above 600 rpm, measured on
 * the bearing housings. Zone A: newly commissioned; B: unrestricted long-term operation;
 * C: unsatisfactory for long-term operation; D: severe enough to cause damage.
 *
 * Boundaries as cited: ISO 10816-3:2009, Annex A, Table A.1 (groups 1 and 2, rigid and flexible
 * foundations), which ISO 20816-3:2022 carries over for these machine groups. Changing a value
 * means changing ZONE_TABLE_VERSION, which every diagnosis reports.
 */
export const ZONE_TABLE_VERSION = 'ISO 10816-3:2009 Table A.1 (as carried into ISO 20816-3:2022)';

export const MACHINE_CLASSES = {
  /** Large machines, 300 kW–50 MW, or electrical machines with shaft height ≥ 315 mm. */
  'group1-rigid': { ab: 2.3, bc: 4.5, cd: 7.1 },
  'group1-flexible': { ab: 3.5, bc: 7.1, cd: 11.0 },
  /** Medium machines, 15–300 kW, or electrical machines with shaft height 160–315 mm. */
  'group2-rigid': { ab: 1.4, bc: 2.8, cd: 4.5 },
  'group2-flexible': { ab: 2.3, bc: 4.5, cd: 7.1 },
} as const satisfies Record<MachineClass, { ab: number; bc: number; cd: number }>;

export { MACHINE_CLASS_NAMES, type MachineClass } from '../../shared/schema/asset.js';
export const DEFAULT_MACHINE_CLASS: MachineClass = 'group2-rigid';

export type { IsoZone };

export function isoZone(velocityRmsMmS: number, machineClass: MachineClass): IsoZone {
  const limits = MACHINE_CLASSES[machineClass];
  if (velocityRmsMmS < limits.ab) return 'A';
  if (velocityRmsMmS < limits.bc) return 'B';
  if (velocityRmsMmS < limits.cd) return 'C';
  return 'D';
}
