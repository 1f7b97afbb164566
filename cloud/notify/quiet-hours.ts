import { localTime, minutesOfDay } from '../zoned-time.js';
import type { QuietHours } from './notify-config.js';

const DAY_S = 86_400;

const minutesOf = minutesOfDay;

/** Seconds since local midnight in the zone. */
export const localSecondOfDay = (nowMs: number, timezone = 'UTC'): number =>
  localTime(nowMs, timezone).secondOfDay;

/**
 * When the quiet hours around `nowMs` end, or undefined when it is not quiet now. `from` 22:00
 * `to` 06:00 crosses midnight; equal from and to means no quiet hours.
 */
export function quietUntil(nowMs: number, quiet: QuietHours | undefined): number | undefined {
  if (!quiet) return undefined;
  const from = minutesOf(quiet.from) * 60;
  const to = minutesOf(quiet.to) * 60;
  if (from === to) return undefined;
  const local = localSecondOfDay(nowMs, quiet.timezone);
  const inside = from < to ? local >= from && local < to : local >= from || local < to;
  if (!inside) return undefined;
  let end = nowMs - (nowMs % 1000) + (((to - local + DAY_S) % DAY_S) * 1000 || DAY_S * 1000);
  // A DST change inside the quiet hours moves the wall clock by the offset difference: correct once.
  const drift = localSecondOfDay(end, quiet.timezone) - to;
  if (drift !== 0 && Math.abs(drift) <= 7200) end -= drift * 1000;
  return end;
}

/** The earliest moment at or after `atMs` outside the quiet hours. */
export const outsideQuietHours = (atMs: number, quiet: QuietHours | undefined): number =>
  quietUntil(atMs, quiet) ?? atMs;
