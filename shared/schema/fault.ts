import { type Static, Type } from '@sinclair/typebox';

/** The fault vocabulary shared by rules, diagnosis findings and tickets. */
export const FAULTS = [
  'outer_race',
  'inner_race',
  'rolling_element',
  'cage',
  'unbalance',
  'misalignment',
  'looseness',
  'overheating',
  'threshold',
  'sensor_fault',
] as const;
export const Fault = Type.Union(FAULTS.map((f) => Type.Literal(f)));
export type Fault = Static<typeof Fault>;
