import uPlot from 'uplot';
import {
  COLORS,
  fitToContainer,
  horizontalLine,
  initialWidth,
  placeLabels,
  verticalBand,
  verticalLine,
} from './chart-kit.js';
import { h } from './dom.js';
import { formatNumber, formatTime } from './format.js';
import type { TrendReply } from './types.js';

const HEIGHT = 220;

export interface TrendFigureOptions {
  caption: string;
  unit?: string;
  /** The rule's threshold for this metric: a horizontal line. */
  threshold?: number;
  /** A predicted ticket's ETA with its interval (ISO times): a vertical line over a shaded band. */
  eta?: { at: string; from: string; to?: string };
  /** Moments worth a line, e.g. when the ticket opened. */
  events?: { label: string; at: string }[];
  /** What the y axis and legend call the series; the telemetry field by default. */
  label?: string;
  /** The series is an ISO zone index (A = 0 … D = 3): zone letters on the y axis. */
  zoneAxis?: boolean;
  /**
   * Called with the band dragged across the chart (epoch ms) instead of zooming in place: the owner
   * fetches that range afresh, at a resolution fit for it, and keeps it.
   */
  onZoom?: (from: number, to: number) => void;
  signal: AbortSignal;
}

const ZONE_LETTERS = ['A', 'B', 'C', 'D'];
/** A zone index as its letter; a mean between two zones (a bucket that crossed) as a number. */
const zoneText = (v: number): string =>
  Number.isInteger(v) && ZONE_LETTERS[v] !== undefined ? ZONE_LETTERS[v] : formatNumber(v);

const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * A feature's trend over time (bucket means from the cloud), with the threshold it is judged
 * against and, for a prediction, when it is expected to cross it. The x axis reaches the ETA when it
 * lies within twice the shown span; a farther ETA is named in the caption instead of squashing the data.
 */
export function trendFigure(trend: TrendReply, options: TrendFigureOptions): HTMLElement {
  const unit = options.unit ? ` ${options.unit}` : '';
  const caption = h('figcaption', {}, options.caption);
  // What was asked and what came back, for a test or a curious engineer's devtools.
  const facts = {
    'data-from': trend.from,
    'data-to': trend.to,
    'data-bucket-ms': trend.bucketMs,
    'data-metric': trend.metric,
    'data-channel': trend.channel ?? '',
    'data-points': trend.points.length,
    ...(options.threshold !== undefined ? { 'data-threshold': options.threshold } : {}),
  };
  const showValue = (v: number) => (options.zoneAxis ? `zone ${zoneText(v)}` : `${formatNumber(v)}${unit}`);
  if (trend.points.length === 0) {
    return h(
      'figure',
      { class: 'chart-figure', 'data-chart': 'trend', ...facts },
      caption,
      h(
        'p',
        { class: 'muted empty-chart' },
        `No ${trend.metric} telemetry for ${trend.assetId}${trend.channel ? ` (${trend.channel})` : ''} ` +
          `between ${formatTime(trend.from)} and ${formatTime(trend.to)}.`,
      ),
    );
  }
  const xs = trend.points.map((p) => p.ts / 1000);
  const ys = trend.points.map((p) => p.value);
  const from = seconds(trend.from);
  const to = seconds(trend.to);
  const eta = options.eta
    ? { at: seconds(options.eta.at), from: seconds(options.eta.from), to: options.eta.to }
    : undefined;
  const reach = to + 2 * (to - from);
  const etaShown = eta !== undefined && eta.at <= reach;
  const intervalEnd = eta?.to !== undefined ? seconds(eta.to) : undefined;
  // The whole interval when it fits within the reach, else up to the reach, with a little margin.
  const xMax =
    etaShown && eta
      ? Math.max(to, Math.min(reach, Math.max(eta.at, intervalEnd ?? eta.at)) + (to - from) * 0.03)
      : to;
  const bandEnd = intervalEnd ?? xMax;
  const { threshold } = options;
  const dataMax = ys.reduce((max, y) => (y > max ? y : max), -Infinity);
  const dataMin = ys.reduce((min, y) => (y < min ? y : min), Infinity);

  const plot = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label':
      `${options.caption}: ${trend.points.length} points from ${formatTime(trend.from)} to ${formatTime(trend.to)}, ` +
      `last ${showValue(ys.at(-1) ?? NaN)}` +
      (threshold !== undefined ? `, threshold ${showValue(threshold)}` : '') +
      (options.eta ? `, predicted to cross it at ${formatTime(options.eta.at)}` : ''),
  });

  const labels: { element: HTMLElement; x: number }[] = [];
  if (eta && etaShown) {
    labels.push({
      x: eta.at,
      element: h('span', { class: 'trend-mark mark-eta', 'data-ts': eta.at * 1000 }, 'ETA'),
    });
  }
  for (const event of options.events ?? []) {
    labels.push({
      x: seconds(event.at),
      element: h('span', { class: 'trend-mark mark-event', 'data-ts': Date.parse(event.at) }, event.label),
    });
  }
  const thresholdLabel =
    threshold !== undefined
      ? h('span', { class: 'trend-mark mark-threshold' }, `threshold ${showValue(threshold)}`)
      : undefined;

  const chart = new uPlot(
    {
      width: initialWidth(plot),
      height: HEIGHT,
      scales: {
        x: { time: true, range: [Math.min(from, xs[0] ?? from), xMax] },
        y: {
          range: options.zoneAxis
            ? () => [-0.3, 3.3]
            : () => {
                const high = Math.max(dataMax, threshold ?? -Infinity);
                const low = Math.min(0, dataMin);
                return [low, high > low ? high * 1.15 : low + 1];
              },
        },
      },
      axes: [
        { stroke: '#1f2933' },
        options.zoneAxis
          ? {
              label: 'ISO 20816 zone',
              stroke: '#1f2933',
              size: 60,
              splits: () => [0, 1, 2, 3],
              values: (_u: uPlot, splits: number[]) => splits.map(zoneText),
            }
          : { label: `${options.label ?? trend.metric}${unit}`, stroke: '#1f2933', size: 60 },
      ],
      series: [
        {},
        {
          label: options.label ?? trend.metric,
          stroke: COLORS.series,
          width: 1.5,
          points: { show: trend.points.length < 60 },
          value: (_u, v) => (v == null ? '–' : showValue(v)),
        },
      ],
      cursor: { drag: { x: true, y: false, setScale: options.onZoom === undefined } },
      hooks: {
        setSelect: [
          (u) => {
            if (!options.onZoom || u.select.width < 2) return;
            const left = u.posToVal(u.select.left, 'x');
            const right = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            options.onZoom(Math.round(left * 1000), Math.round(right * 1000));
          },
        ],
        drawAxes: [
          (u) => {
            if (eta && etaShown) verticalBand(u, eta.from, bandEnd, COLORS.etaBand);
          },
        ],
        draw: [
          (u) => {
            if (threshold !== undefined) horizontalLine(u, threshold, COLORS.threshold, [6, 4]);
            if (eta && etaShown) verticalLine(u, eta.at, COLORS.eta, [4, 3]);
            for (const event of options.events ?? [])
              verticalLine(u, seconds(event.at), COLORS.event, [2, 3]);
            placeLabels(u, labels);
            if (thresholdLabel && threshold !== undefined) {
              const top = u.valToPos(threshold, 'y');
              thresholdLabel.hidden = top < 0 || top > u.over.clientHeight;
              // Under the line at the left, where a rising trend is still low.
              thresholdLabel.style.top = `${Math.min(top + 3, u.over.clientHeight - 18)}px`;
            }
          },
        ],
      },
    },
    [xs, ys],
    plot,
  );
  for (const { element } of labels) chart.over.appendChild(element);
  if (thresholdLabel) chart.over.appendChild(thresholdLabel);
  fitToContainer(chart, plot, HEIGHT, options.signal);

  const notes: string[] = [];
  if (threshold !== undefined) notes.push(`threshold ${showValue(threshold)} (dashed)`);
  if (options.eta) {
    const span = options.eta.to
      ? `between ${formatTime(options.eta.from)} and ${formatTime(options.eta.to)}`
      : `from ${formatTime(options.eta.from)} on`;
    notes.push(
      `predicted to cross it at ${formatTime(options.eta.at)}, ${span}` +
        (etaShown ? ' (shaded)' : ' — beyond the chart'),
    );
  }
  return h(
    'figure',
    { class: 'chart-figure', 'data-chart': 'trend', ...facts },
    caption,
    plot,
    notes.length ? h('p', { class: 'chart-notes' }, notes.join('; ')) : null,
  );
}
