/** The fault vocabulary (shared/schema/fault.ts); test/console.test.ts checks the two lists are equal. */
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

/** "outer_race" → "outer race": codes stay codes in URLs, words on screen. */
export const faultLabel = (fault: string): string => fault.replaceAll('_', ' ');
