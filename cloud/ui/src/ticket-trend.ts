import { api, errorMessage, isAbort, query } from './api.js';
import { h, replaceChildren } from './dom.js';
import { currentRoute, replaceQuery } from './router.js';
import { trendFigure } from './trend-chart.js';
import {
  fromLocalInput,
  PRESETS,
  pointsFor,
  rangeFromQuery,
  rangeToQuery,
  toLocalInput,
  type TrendFocus,
  type TrendRange,
} from './trend-range.js';
import { seriesOf, ZONE_INDEX_FIELD } from './trend-series.js';
import type { TicketDetail, TrendReply, TriggeringValue } from './types.js';

/** The value a ticket's trend shows: its first triggering value, else its prediction's metric. */
function trendedValue(ticket: TicketDetail): TriggeringValue | undefined {
  const first = ticket.evidence.triggeringValues[0];
  if (first) return first;
  const { prediction } = ticket;
  return prediction
    ? {
        metric: prediction.metric,
        value: prediction.level ?? NaN,
        threshold: prediction.threshold,
        comparison: '>=',
      }
    : undefined;
}

/**
 * The ticket's trend: the telemetry series behind its first triggering value, over a range picked
 * above the chart (hour, day, week, month, or custom; mirrored in the URL), with the rule's
 * threshold and, for a prediction, the ETA over its interval. Dragging across the chart shows that
 * band as a custom range, fetched afresh at a finer resolution; **Reset zoom** goes back.
 */
export function ticketTrend(
  ticket: TicketDetail,
  signal: AbortSignal,
  initial: URLSearchParams,
): HTMLElement {
  const value = trendedValue(ticket);
  const series = value && seriesOf(value, ticket.evidence.channel);
  if (!value || !series) {
    return h('p', { class: 'muted' }, `No telemetry trend for ${value?.metric ?? 'this ticket'}.`);
  }
  const focus: TrendFocus = {
    firstSeen: Date.parse(ticket.firstSeen),
    lastSeen: Date.parse(ticket.lastSeen),
    ...(ticket.prediction ? { eta: Date.parse(ticket.prediction.eta) } : {}),
  };
  const prediction =
    ticket.prediction?.metric === value.metric.replace(/ \(trend level\)$/, '')
      ? ticket.prediction
      : undefined;
  const threshold = series.threshold ?? prediction?.threshold;
  const zoneAxis = series.field === ZONE_INDEX_FIELD;
  const unit = series.unit ?? (zoneAxis ? undefined : value.unit);
  // `isoZone` drawn as velocity says so; `spindle_temperature` drawn as its `value` need not.
  const bareName = value.metric
    .replace(/ \(trend level\)$/, '')
    .split('.')
    .pop();
  const drawnAs =
    series.field === bareName || series.field === value.metric || series.field === 'value'
      ? ''
      : `, drawn as ${series.field}`;

  const { range: start, problem } = rangeFromQuery(initial, focus);
  let range = start;
  /** The range before the first drag-zoom, to go back to. */
  let unzoomed: TrendRange | undefined;
  let loading: AbortController | undefined;

  const buttons = PRESETS.map((preset) =>
    h(
      'button',
      {
        type: 'button',
        class: 'range-button',
        'data-range': preset.name,
        onclick: () => {
          unzoomed = undefined;
          show(presetRangeOf(preset.name));
        },
      },
      preset.label,
    ),
  );
  const fromInput = h('input', { type: 'datetime-local', id: 'trend-from', required: true });
  const toInput = h('input', { type: 'datetime-local', id: 'trend-to', required: true });
  const customError = h('p', { class: 'error', role: 'alert', hidden: true });
  // Not a <form>: a viewer's ticket has no forms (nothing to submit), only this view of it.
  const applyCustom = () => {
    const from = fromLocalInput(fromInput.value);
    const to = fromLocalInput(toInput.value);
    const why =
      from === undefined || to === undefined
        ? 'Enter both times, from and to.'
        : from >= to
          ? 'From must be before to.'
          : undefined;
    customError.hidden = why === undefined;
    customError.textContent = why ?? '';
    if (why || from === undefined || to === undefined) return;
    unzoomed = undefined;
    show({ preset: 'custom', from, to });
  };
  const onEnter = (event: KeyboardEvent) => {
    if (event.key === 'Enter') applyCustom();
  };
  fromInput.addEventListener('keydown', onEnter);
  toInput.addEventListener('keydown', onEnter);
  const custom = h(
    'div',
    { class: 'trend-custom', role: 'group', 'aria-label': 'Custom range' },
    h('label', { for: 'trend-from' }, 'From'),
    fromInput,
    h('label', { for: 'trend-to' }, 'To'),
    toInput,
    h('button', { type: 'button', id: 'trend-apply', onclick: applyCustom }, 'Show'),
    customError,
  );
  const customButton = h(
    'button',
    {
      type: 'button',
      class: 'range-button',
      'data-range': 'custom',
      'aria-expanded': 'false',
      onclick: () => {
        custom.hidden = !custom.hidden;
        customButton.setAttribute('aria-expanded', String(!custom.hidden));
        if (!custom.hidden) fromInput.focus();
      },
    },
    'Custom',
  );
  const reset = h(
    'button',
    {
      type: 'button',
      class: 'range-reset',
      id: 'trend-reset',
      hidden: true,
      onclick: () => {
        const back = unzoomed;
        unzoomed = undefined;
        if (back) show(back);
      },
    },
    'Reset zoom',
  );
  const picker = h(
    'div',
    { class: 'trend-range', role: 'group', 'aria-label': 'Trend time range' },
    ...buttons,
    customButton,
    reset,
  );
  const slot = h(
    'div',
    { class: 'trend-slot', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading the trend…'),
  );
  const panel = h(
    'div',
    { class: 'trend-panel' },
    picker,
    custom,
    problem ? h('p', { class: 'muted trend-problem' }, problem) : null,
    slot,
  );
  custom.hidden = range.preset !== 'custom';

  function presetRangeOf(name: (typeof PRESETS)[number]['name']): TrendRange {
    return rangeFromQuery(new URLSearchParams({ range: name }), focus).range;
  }

  function mark(current: TrendRange) {
    for (const button of [...buttons, customButton]) {
      button.setAttribute('aria-pressed', String(button.dataset.range === current.preset));
    }
    fromInput.value = toLocalInput(current.from);
    toInput.value = toLocalInput(current.to);
    reset.hidden = unzoomed === undefined;
  }

  function show(next: TrendRange, { mirror = true } = {}) {
    range = next;
    mark(range);
    if (mirror) replaceQuery(rangeToQuery(range, currentRoute()?.query ?? new URLSearchParams()));
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    slot.setAttribute('aria-busy', 'true');
    load(range, controller.signal).then(
      (figure) => {
        if (controller.signal.aborted) return;
        slot.removeAttribute('aria-busy');
        replaceChildren(slot, figure);
      },
      (failure: unknown) => {
        if (isAbort(failure) || controller.signal.aborted) return;
        slot.removeAttribute('aria-busy');
        replaceChildren(
          slot,
          h('p', { class: 'error', role: 'alert' }, `Could not load the trend: ${errorMessage(failure)}`),
        );
      },
    );
  }

  async function load(current: TrendRange, aborted: AbortSignal): Promise<HTMLElement> {
    const path =
      `/api/v1/assets/${encodeURIComponent(ticket.assetId)}/trend` +
      query({
        metric: series!.field,
        channel: series!.channel,
        from: new Date(current.from).toISOString(),
        to: new Date(current.to).toISOString(),
        maxPoints: pointsFor(current),
      });
    const trend = await api<TrendReply>(path, { signal: aborted });
    const figure = trendFigure(trend, {
      caption: `${value!.metric} on ${ticket.assetId} (${series!.channel})${drawnAs}`,
      ...(unit ? { unit } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      ...(ticket.prediction
        ? {
            eta: {
              at: ticket.prediction.eta,
              from: ticket.prediction.intervalStart,
              ...(ticket.prediction.intervalEnd ? { to: ticket.prediction.intervalEnd } : {}),
            },
          }
        : {}),
      events: [{ label: 'opened', at: ticket.firstSeen }],
      // A reading's field is just `value`: its channel says what it is.
      ...(series!.field === 'value' ? { label: series!.channel } : {}),
      zoneAxis,
      onZoom: (from, to) => {
        unzoomed ??= range;
        show({ preset: 'custom', from, to });
      },
      signal: aborted,
    });
    figure.dataset.range = current.preset;
    figure.dataset.maxPoints = String(pointsFor(current));
    figure.dataset.field = series!.field;
    return figure;
  }

  // Leaving the screen ends the load under way and its chart.
  signal.addEventListener('abort', () => loading?.abort(), { once: true });
  // The range the link asked for is already in the URL: rewrite it only when the engineer changes it.
  show(range, { mirror: false });
  return panel;
}
