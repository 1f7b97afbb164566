import { FAULTS } from '../../shared/schema/fault.js';
import { FEATURE_METRICS } from '../../shared/schema/features.js';

/**
 * How a rule's names resolve. A bare name is a feature of the waveform channel being evaluated
 * (`velocityRmsMmS`) or, if it is not a feature, a reading channel of the asset (`temperature`).
 * `de.velocityRmsMmS` is a feature of another channel of the same asset; `finding.outer_race` is
 * the diagnosis engine's confidence in that fault on the channel being evaluated.
 */
export const FEATURE_NAMES: ReadonlySet<string> = new Set<string>([...FEATURE_METRICS, 'isoZone', 'rpm']);
export const TEXT_SIGNALS: ReadonlySet<string> = new Set(['isoZone']);
export const FINDING_PREFIX = 'finding';
const FAULT_NAMES: ReadonlySet<string> = new Set(FAULTS);

export interface NamedSignal {
  name: string;
  channel?: string;
}

export const readsFeature = (ref: NamedSignal): boolean =>
  ref.channel !== undefined || FEATURE_NAMES.has(ref.name);

/** What is wrong with a name, or undefined when it can resolve. */
export function signalProblem(ref: NamedSignal): string | undefined {
  if (ref.channel === FINDING_PREFIX) {
    return FAULT_NAMES.has(ref.name)
      ? undefined
      : `'${FINDING_PREFIX}.${ref.name}' names no fault; use one of ${FAULTS.map((f) => `${FINDING_PREFIX}.${f}`).join(', ')}`;
  }
  if (ref.channel !== undefined && !FEATURE_NAMES.has(ref.name)) {
    return `'${ref.channel}.${ref.name}': only features can be named with a channel; features are ${[...FEATURE_NAMES].join(', ')}`;
  }
  return undefined;
}

export function parseSignalName(text: string): NamedSignal {
  const dot = text.indexOf('.');
  return dot < 0 ? { name: text } : { channel: text.slice(0, dot), name: text.slice(dot + 1) };
}
