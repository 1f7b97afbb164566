import { closest as nearest, distance } from 'fastest-levenshtein';

/**
 * The candidate nearest to what was written, for "did you mean"; none when even the nearest is
 * mostly different (a suggestion that changes most of the word helps nobody).
 */
export function closestTo(value: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || value === '') return undefined;
  const lower = value.toLowerCase();
  const best = nearest(lower, candidates.map((c) => c.toLowerCase()) as string[]);
  const index = candidates.findIndex((c) => c.toLowerCase() === best);
  return distance(lower, best) <= Math.max(3, Math.ceil(best.length * 0.6)) ? candidates[index] : undefined;
}
