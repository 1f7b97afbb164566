import uPlot from 'uplot';
import { COLORS, fitToContainer, initialWidth, placeLabels, verticalLine } from './chart-kit.js';
import { h } from './dom.js';
import { formatNumber } from './format.js';
import type { SpectrumMark, SpectrumSnapshot } from './types.js';

const HEIGHT = 240;
/** Room above the tallest line for two rows of mark labels. */
const HEADROOM = 1.3;

/** Running-speed orders (`1×`, `2×`) against defect frequencies and their harmonics (`BPFO`, `2×BPFO`). */
export const isRunningSpeedOrder = (mark: SpectrumMark): boolean => /^\d+(\.\d+)?×$/.test(mark.label.trim());

const markColor = (mark: SpectrumMark) => (isRunningSpeedOrder(mark) ? COLORS.harmonic : COLORS.defect);

export interface SpectrumFigureOptions {
  /** What the figure shows, e.g. "Acceleration spectrum". */
  caption: string;
  /** `spectrum` or `envelope`: the figure's data-chart, for styling and tests. */
  kind: string;
  signal: AbortSignal;
}

/**
 * The ticket's spectrum snapshot with its marks: each mark a vertical line on the canvas and a
 * label (`.spectrum-mark`, `data-hz`) over it; the same marks listed below as text, since a canvas
 * says nothing to a screen reader. Drag across the plot to zoom into a band, double-click to reset.
 */
export function spectrumFigure(snapshot: SpectrumSnapshot, options: SpectrumFigureOptions): HTMLElement {
  const marks = [...(snapshot.marks ?? [])].sort((a, b) => a.hz - b.hz);
  const frequencies = snapshot.amplitudes.map((_, i) => i * snapshot.binHz);
  const maxHz = frequencies.at(-1) ?? 0;
  const peak = snapshot.amplitudes.reduce((max, a) => (a > max ? a : max), 0);
  const plot = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${options.caption}: ${snapshot.amplitudes.length} lines up to ${formatNumber(maxHz, 4)} Hz, ${marks.length} marked frequencies listed below`,
  });
  const labels = marks.map((mark) => ({
    x: mark.hz,
    element: h(
      'span',
      {
        class: `spectrum-mark ${isRunningSpeedOrder(mark) ? 'mark-order' : 'mark-defect'}`,
        'data-hz': mark.hz,
        title: `${mark.label} at ${formatNumber(mark.hz, 5)} Hz`,
      },
      mark.label,
    ),
  }));

  const chart = new uPlot(
    {
      width: initialWidth(plot),
      height: HEIGHT,
      scales: {
        x: { time: false, range: [0, maxHz || 1] },
        y: { range: (_u, _min, max) => [0, (Math.max(max, peak) || 1) * HEADROOM] },
      },
      axes: [
        { label: 'Frequency (Hz)', stroke: '#1f2933' },
        { label: snapshot.unit, stroke: '#1f2933', size: 60 },
      ],
      series: [
        { label: 'Frequency', value: (_u, v) => (v == null ? '–' : `${formatNumber(v, 5)} Hz`) },
        {
          label: 'Amplitude',
          stroke: COLORS.series,
          width: 1,
          points: { show: false },
          value: (_u, v) => (v == null ? '–' : `${formatNumber(v, 3)} ${snapshot.unit}`),
        },
      ],
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [
          (u) => {
            for (const mark of marks) {
              verticalLine(u, mark.hz, markColor(mark), isRunningSpeedOrder(mark) ? [2, 3] : [5, 3]);
            }
            placeLabels(u, labels);
          },
        ],
      },
    },
    [frequencies, snapshot.amplitudes],
    plot,
  );
  for (const { element } of labels) chart.over.appendChild(element);
  fitToContainer(chart, plot, HEIGHT, options.signal);

  const list = marks.length
    ? h(
        'ul',
        { class: 'mark-list', 'aria-label': `Marked frequencies in the ${options.caption.toLowerCase()}` },
        ...marks.map((mark) =>
          h(
            'li',
            { class: isRunningSpeedOrder(mark) ? 'mark-order' : 'mark-defect' },
            h('span', { class: 'swatch', 'aria-hidden': 'true' }),
            h('strong', {}, mark.label),
            ` ${formatNumber(mark.hz, 5)} Hz`,
            mark.hz > maxHz ? ' (beyond the snapshot)' : '',
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No frequencies marked on this snapshot.');

  return h(
    'figure',
    { class: 'chart-figure', 'data-chart': options.kind },
    h(
      'figcaption',
      {},
      `${options.caption} (${snapshot.unit}), ${formatNumber(snapshot.binHz, 4)} Hz per line`,
    ),
    plot,
    list,
  );
}
