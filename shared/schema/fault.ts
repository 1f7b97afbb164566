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

/** What a labelled recording is expected to show: a fault, or `none` for a healthy machine. */
export type ExpectedFault = Fault | 'none';

/**
 * Labels of labelled recordings (an `index.json` `label`, `plantwatch diagnose --batch`) and the fault
 * each names. The short forms are the ones public bearing data sets use (CWRU: `normal`, `inner`,
 * `outer`, `ball`); every fault name above is accepted as itself. Case, spaces and hyphens do not
 * matter (`Inner race`, `inner-race` → inner_race), nor a trailing fault, defect, failure or damage
 * (`outer race fault` → outer_race).
 *
 * | label                                          | fault             |
 * | ---------------------------------------------- | ----------------- |
 * | normal, healthy, baseline, good, ok, none      | none (no finding) |
 * | inner, ir, inner_race, inner_ring              | inner_race        |
 * | outer, or, outer_race, outer_ring              | outer_race        |
 * | ball, roller, b, re, rolling_element           | rolling_element   |
 * | cage, ftf, train                               | cage              |
 * | unbalance, imbalance                           | unbalance         |
 */
export const FAULT_LABELS: Readonly<Record<string, ExpectedFault>> = {
  normal: 'none',
  healthy: 'none',
  baseline: 'none',
  good: 'none',
  ok: 'none',
  none: 'none',
  inner: 'inner_race',
  ir: 'inner_race',
  inner_ring: 'inner_race',
  outer: 'outer_race',
  or: 'outer_race',
  outer_ring: 'outer_race',
  ball: 'rolling_element',
  roller: 'rolling_element',
  b: 'rolling_element',
  re: 'rolling_element',
  cage: 'cage',
  ftf: 'cage',
  train: 'cage',
  imbalance: 'unbalance',
  ...Object.fromEntries(FAULTS.map((f) => [f, f])),
};

/** The fault a label names, or undefined for a label not in FAULT_LABELS. */
export function faultOfLabel(label: string): ExpectedFault | undefined {
  const key = label
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  // "outer race fault", "ball defect", "inner race failure": the noun adds nothing.
  const bare = key.replace(/_(fault|defect|failure|damage)$/, '');
  // Dataset codes carry the defect size, load or position after the kind: "IR007", "OR021@6",
  // "outer_race_007_1hp", "B014_2": the kind is what comes before the first number.
  const kind = key.replace(/[_@.]*\d.*$/, '').replace(/_(fault|defect|failure|damage)$/, '');
  for (const candidate of [key, bare, kind]) {
    if (Object.hasOwn(FAULT_LABELS, candidate)) return FAULT_LABELS[candidate];
  }
  return undefined;
}
