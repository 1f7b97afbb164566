/**
 * The time range a ticket's trend shows: a preset (hour, day, week, month) placed around the
 * ticket, or a custom from/to (typed, or dragged on the chart). Kept in the URL (`range=day`, or
 * `from=…&to=…`), so a range is a link; with neither, the smallest preset that holds the ticket.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const PRESETS = [
  { name: 'hour', label: 'Hour', ms: HOUR },
  { name: 'day', label: 'Day', ms: DAY },
  { name: 'week', label: 'Week', ms: 7 * DAY },
  { name: 'month', label: 'Month', ms: 30 * DAY },
] as const;
export type PresetName = (typeof PRESETS)[number]['name'];

export interface TrendRange {
  preset: PresetName | 'custom';
  from: number;
  to: number;
}

/** What a ticket's trend is about: when it opened, when it was last seen, when it may cross. */
export interface TrendFocus {
  firstSeen: number;
  lastSeen: number;
  eta?: number;
}

/** The edge summarises telemetry every 10 s: no bucket is worth drawing finer than that. */
const TELEMETRY_INTERVAL_MS = 10_000;
/** About one point per two pixels of a laptop's chart: finer buckets only add noise. */
const MAX_POINTS = 720;

/** Buckets for a range: one per telemetry interval, up to what a chart can show (an hour: 360). */
export const pointsFor = (range: TrendRange): number =>
  Math.max(1, Math.min(MAX_POINTS, Math.ceil((range.to - range.from) / TELEMETRY_INTERVAL_MS)));

/** The span of interest: from the ticket's opening to its last sighting, and its ETA when near. */
function focusSpan(focus: TrendFocus): { start: number; end: number } {
  const monthHalf = PRESETS[PRESETS.length - 1]!.ms / 2;
  const near = focus.eta !== undefined && focus.eta - focus.firstSeen <= monthHalf ? focus.eta : undefined;
  return { start: focus.firstSeen, end: Math.max(focus.firstSeen, focus.lastSeen, near ?? -Infinity) };
}

/**
 * A preset's window around the ticket: centred on it when it fits in half the window, and always
 * with at least a quarter of the window before the ticket opened, where the rise that led to it is.
 */
export function presetRange(name: PresetName, focus: TrendFocus): TrendRange {
  const ms = PRESETS.find((p) => p.name === name)!.ms;
  const { start, end } = focusSpan(focus);
  const from = Math.round(Math.min(start - ms / 4, (start + end) / 2 - ms / 2));
  return { preset: name, from, to: from + ms };
}

/** The smallest preset whose window holds the ticket with room either side. */
export function defaultRange(focus: TrendFocus): TrendRange {
  const { start, end } = focusSpan(focus);
  const preset = PRESETS.find((p) => end - start <= p.ms / 2) ?? PRESETS[PRESETS.length - 1]!;
  return presetRange(preset.name, focus);
}

const isPreset = (text: string): text is PresetName => PRESETS.some((p) => p.name === text);

/**
 * The range the URL asks for, or the default with a note saying what was ignored and why (a link
 * edited by hand should still show the trend).
 */
export function rangeFromQuery(
  query: URLSearchParams,
  focus: TrendFocus,
): { range: TrendRange; problem?: string } {
  const preset = query.get('range');
  const from = query.get('from');
  const to = query.get('to');
  if (from !== null || to !== null) {
    const fromMs = from === null ? NaN : Date.parse(from);
    const toMs = to === null ? NaN : Date.parse(to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
      return {
        range: defaultRange(focus),
        problem: `Ignored from=${from ?? ''}&to=${to ?? ''}: both must be date-times such as 2026-01-05T08:00:00Z.`,
      };
    }
    if (fromMs >= toMs) {
      return { range: defaultRange(focus), problem: `Ignored the range: from must be before to.` };
    }
    return { range: { preset: 'custom', from: fromMs, to: toMs } };
  }
  if (preset === null) return { range: defaultRange(focus) };
  if (!isPreset(preset)) {
    return {
      range: defaultRange(focus),
      problem: `Ignored range=${preset}: use ${PRESETS.map((p) => p.name).join(', ')}, or from and to.`,
    };
  }
  return { range: presetRange(preset, focus) };
}

/** The URL query for a range, keeping the screen's other parameters. */
export function rangeToQuery(range: TrendRange, query: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(query);
  for (const key of ['range', 'from', 'to']) next.delete(key);
  if (range.preset === 'custom') {
    next.set('from', new Date(range.from).toISOString());
    next.set('to', new Date(range.to).toISOString());
  } else {
    next.set('range', range.preset);
  }
  return next;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A time as a `datetime-local` input shows it: local time, to the minute. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

/** A `datetime-local` input's value (local time) as epoch ms, or undefined when empty or invalid. */
export function fromLocalInput(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) return undefined;
  const ms = new Date(text).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
