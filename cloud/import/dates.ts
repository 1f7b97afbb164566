/** A date as written in an import file: read into an ISO 8601 UTC timestamp, or why not. */
export type DateResult = { iso: string } | { problem: string; suggestion?: string };

import { fromZone } from '../zoned-time.js';

export const NOT_A_DATE = 'not a date: expected ISO 8601 like 2024-03-05T14:00:00Z';

const pad = (n: number) => String(n).padStart(2, '0');
const iso = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

const validDay = (y: number, m: number, d: number) =>
  m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();

const TIME = String.raw`(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?`;
const YMD = new RegExp(String.raw`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})${TIME}$`, 'i');
const DMY_DOTS = new RegExp(String.raw`^(\d{1,2})\.(\d{1,2})\.(\d{4})${TIME}$`, 'i');
const SLASHES = new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${TIME}$`, 'i');

/**
 * ISO 8601 (with or without a zone), `YYYY-MM-DD[ HH:mm[:ss]]`, `YYYY/MM/DD`, `DD.MM.YYYY`; a date
 * without a zone is wall-clock time in `zone`. `03/04/2024` could be either day-month order, so
 * it is refused with both readings; `25/04/2024` has only one.
 */
export function parseImportDate(text: string, zone: string): DateResult {
  const value = text.trim();
  let match = YMD.exec(value);
  let y: number, m: number, d: number;
  if (match) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = DMY_DOTS.exec(value))) {
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = SLASHES.exec(value))) {
    const [a, b] = [Number(match[1]), Number(match[2])];
    y = Number(match[3]);
    if (a <= 12 && b <= 12 && a !== b) {
      return {
        problem: `ambiguous date: write ${iso(y, b, a)} or ${iso(y, a, b)} (ISO 8601)`,
      };
    }
    [d, m] = a > 12 ? [a, b] : [b, a];
  } else {
    return { problem: NOT_A_DATE };
  }
  if (!validDay(y, m, d)) return { problem: `${NOT_A_DATE} (there is no day ${iso(y, m, d)})` };
  const [hh, mm, ss, fraction, offset] = [match[4], match[5], match[6], match[7], match[8]];
  const [hour, minute, second] = [Number(hh ?? 0), Number(mm ?? 0), Number(ss ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return { problem: NOT_A_DATE };
  const ms = fraction ? Math.round(Number(fraction) * 1000) : 0;
  const wall = Date.UTC(y, m - 1, d, hour, minute, second, ms);
  let utc: number;
  if (!offset) utc = fromZone(wall, zone);
  else if (offset.toUpperCase() === 'Z') utc = wall;
  else {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    utc = wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return { iso: new Date(utc).toISOString() };
}
