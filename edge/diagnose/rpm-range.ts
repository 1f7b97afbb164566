import { InvalidArgumentError } from 'commander';
import type { RpmRange } from '../signal/diagnosis.js';

const RANGE = /^\s*(\d+(?:\.\d+)?)\s*(?:-|–|\.\.)\s*(\d+(?:\.\d+)?)\s*$/;

/**
 * A shaft-speed range as users write it: "1700-1800" (also "1700..1800"), or, in a recording
 * index.json, [1700, 1800]. Returns null for anything else so the caller can say where it was.
 */
export function rpmRangeFrom(value: unknown): RpmRange | null {
  let min: number;
  let max: number;
  if (typeof value === 'string') {
    const match = RANGE.exec(value);
    if (!match) return null;
    min = Number(match[1]);
    max = Number(match[2]);
  } else if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    [min, max] = value as [number, number];
  } else {
    return null;
  }
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) return null;
  return { min, max };
}

/** The `--rpm-range` option's parser. */
export function rpmRangeOption(value: string): RpmRange {
  const range = rpmRangeFrom(value);
  if (!range)
    throw new InvalidArgumentError(
      `expected two positive speeds in rpm, the lower first, e.g. 1700-1800, got '${value}'`,
    );
  return range;
}
