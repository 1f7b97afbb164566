/** Times, durations and numbers as the console shows them. Pure: `now` is always passed in. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local time, to the minute, sortable and unambiguous: `2025-03-14 09:05`. */
export function formatTime(iso: string | number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** The two largest units: `3 d 4 h`, `2 h 15 min`, `40 s`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return `${Math.round(abs / 1000)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MINUTE)} min`;
  if (abs < DAY) {
    const minutes = Math.floor((abs % HOUR) / MINUTE);
    return `${Math.floor(abs / HOUR)} h${minutes ? ` ${minutes} min` : ''}`;
  }
  const hours = Math.floor((abs % DAY) / HOUR);
  return `${Math.floor(abs / DAY)} d${hours ? ` ${hours} h` : ''}`;
}

/** `5 min ago`, `in 3 h`; `just now` within ten seconds either way. */
export function relativeTime(iso: string | number, now: number): string {
  const at = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(at)) return String(iso);
  const delta = at - now;
  if (Math.abs(delta) < 10_000) return 'just now';
  return delta < 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(delta)}`;
}

export interface SlaState {
  text: string;
  /** `overdue` past the due date, `soon` within the last quarter of a day, `ok` otherwise, `done` when closed. */
  state: 'overdue' | 'soon' | 'ok' | 'done';
}

/**
 * The SLA countdown of a ticket. The server's `overdue` flag decides overdue (it knows the open
 * states); the clock only says how long is left or how late it is.
 */
export function slaCountdown(dueAt: string, overdue: boolean, open: boolean, now: number): SlaState {
  const due = Date.parse(dueAt);
  if (!open) return { text: `was due ${formatTime(dueAt)}`, state: 'done' };
  if (overdue || due <= now) return { text: `overdue by ${formatDuration(now - due)}`, state: 'overdue' };
  const left = due - now;
  return { text: `due in ${formatDuration(left)}`, state: left < 6 * HOUR ? 'soon' : 'ok' };
}

/** Up to `digits` significant decimals, without trailing zeros: 6.1, 0.0123, 1250. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000 || Number.isInteger(value)) return String(Math.round(value * 100) / 100);
  return String(Number(value.toPrecision(digits)));
}

export const formatPercent = (ratio: number): string => `${Math.round(ratio * 1000) / 10} %`;

/** ISO 20816 zones as engineers name them. */
export const isoZoneName = (index: number): string =>
  ['A', 'B', 'C', 'D'][Math.min(3, Math.max(0, Math.round(index)))] ?? '?';
