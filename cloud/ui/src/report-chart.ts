import uPlot from 'uplot';
import { COLORS, fitToContainer, initialWidth } from './chart-kit.js';
import { h } from './dom.js';
import { formatTime } from './format.js';

const HEIGHT = 180;

export interface BucketSeries {
  label: string;
  /** One value per bucket; null where there is none (no judgement yet), drawn as a gap. */
  values: (number | null)[];
  format: (value: number) => string;
  /** A fixed y range, e.g. [0, 1] for a ratio; otherwise from zero to the largest value. */
  range?: [number, number];
}

/**
 * A small chart of one figure per report bucket (backlog, precision), each point at its bucket's
 * start. The same colours, sizing and zoom as the trend chart; the table beside it has the numbers.
 */
export function bucketFigure(
  caption: string,
  starts: string[],
  series: BucketSeries,
  signal: AbortSignal,
): HTMLElement {
  const captionElement = h('figcaption', {}, caption);
  const defined = series.values.filter((v): v is number => v !== null);
  if (defined.length === 0) {
    return h(
      'figure',
      { class: 'chart-figure report-chart' },
      captionElement,
      h('p', { class: 'muted empty-chart' }, `No ${series.label.toLowerCase()} in this range yet.`),
    );
  }
  const last = defined.at(-1) as number;
  const plot = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${caption}: ${starts.length} buckets from ${formatTime(starts[0] ?? '')}, last ${series.format(last)}`,
  });
  const xs = starts.map((s) => Date.parse(s) / 1000);
  const max = Math.max(...defined);
  const chart = new uPlot(
    {
      width: initialWidth(plot),
      height: HEIGHT,
      scales: {
        x: { time: true },
        y: { range: () => series.range ?? [0, max > 0 ? max * 1.15 : 1] },
      },
      axes: [
        { stroke: '#1f2933' },
        { stroke: '#1f2933', size: 56, values: (_u, ticks) => ticks.map((t) => series.format(t)) },
      ],
      series: [
        {},
        {
          label: series.label,
          stroke: COLORS.series,
          width: 1.5,
          spanGaps: false,
          points: { show: true },
          value: (_u, v) => (v == null ? '–' : series.format(v)),
        },
      ],
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
    },
    [xs, series.values],
    plot,
  );
  fitToContainer(chart, plot, HEIGHT, signal);
  return h('figure', { class: 'chart-figure report-chart' }, captionElement, plot);
}
