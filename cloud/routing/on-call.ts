import { localTime, minutesOfDay } from '../zoned-time.js';
import { type RoutingSite, type Shift, WEEKDAYS, type Weekday } from './routing-config.js';

/** Who is on shift at a site at an instant; pure, the site's time zone applied through Intl. */

export interface SiteLocalTime {
  weekday: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
  /** e.g. `Mon 06:12`. */
  text: string;
}

export interface OnCall {
  engineer: string;
  /** The shift that puts them on call, e.g. `Mon 06:00–14:00 Europe/Berlin` (the day it started). */
  shift: string;
}

const capitalised = (day: Weekday) => day[0]?.toUpperCase() + day.slice(1);

export function siteLocalTime(atMs: number, timeZone: string): SiteLocalTime {
  const { weekday, hour, minute } = localTime(atMs, timeZone);
  const hhmm = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  return { weekday, minutes: hour * 60 + minute, text: `${capitalised(weekday)} ${hhmm}` };
}

const minutesOf = minutesOfDay;

const previousDay = (day: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7] as Weekday;

export const shiftLabel = (day: Weekday, shift: Shift, timeZone: string): string =>
  `${capitalised(day)} ${shift.from}–${shift.to} ${timeZone}`;

/** The day the shift running at this local time started on, or undefined when it is not running. */
export function shiftStartDay(shift: Shift, local: SiteLocalTime): Weekday | undefined {
  const from = minutesOf(shift.from);
  const to = minutesOf(shift.to);
  const { weekday, minutes } = local;
  if (from < to) return shift.days.includes(weekday) && minutes >= from && minutes < to ? weekday : undefined;
  // Overnight: from the evening of a listed day until the morning after.
  if (shift.days.includes(weekday) && minutes >= from) return weekday;
  const yesterday = previousDay(weekday);
  if (shift.days.includes(yesterday) && minutes < to) return yesterday;
  return undefined;
}

/** Everyone on call at the site at this instant, each once (with the first shift that lists them). */
export function onCallAt(site: RoutingSite, atMs: number): OnCall[] {
  const local = siteLocalTime(atMs, site.timezone);
  const seen = new Map<string, OnCall>();
  for (const shift of site.onCall ?? []) {
    const day = shiftStartDay(shift, local);
    if (day === undefined) continue;
    for (const engineer of shift.engineers) {
      if (!seen.has(engineer)) seen.set(engineer, { engineer, shift: shiftLabel(day, shift, site.timezone) });
    }
  }
  return [...seen.values()];
}
