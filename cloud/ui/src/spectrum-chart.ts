import uPlot from 'uplot';
import { COLORS, initialWidth, placeLabels, verticalLine } from './chart-kit.js';
import { h } from './dom.js';
import { formatNumber, formatTime } from './format.js';
import { spectrumControls } from './spectrum-controls.js';
import {
  defaultRange,
  harmonicsOf,
  isRunningSpeedOrder,
  nearestPeakHz,
  pan,
  type Range,
  resampleOnto,
  shaftHzOf,
  snapToMark,
} from './spectrum-range.js';
import type { SpectrumMark, SpectrumSnapshot } from './types.js';

export { isRunningSpeedOrder } from './spectrum-range.js';

const HEIGHT = 240;
const MIN_WIDTH = 280;
/** Room above the tallest line for two rows of mark labels. */
const HEADROOM = 1.3;
/** A log axis spans at most this many decades below the tallest line: below it is the noise of rounding. */
const LOG_DECADES = 4;
/** A press and release closer than this (px) is a click that sets harmonic cursors, not a drag. */
const CLICK_SLOP = 4;
/** A click reaches the tallest line within this many pixels either side. */
const CLICK_REACH_PX = 6;
/** The earlier spectrum: the series' blue, lighter, so the ticket's own stays in front. */
const EARLIER_COLOR = '#8aa6cf';
const CURSOR_COLOR = '#0f766e';

const markColor = (mark: SpectrumMark) => (isRunningSpeedOrder(mark) ? COLORS.harmonic : COLORS.defect);
const round = (value: number): number => Number(value.toPrecision(6));

/** An earlier ticket's snapshot of the same kind, offered as an overlay. */
export interface EarlierSnapshot {
  ticketId: string;
  at: string;
  title: string;
  snapshot: SpectrumSnapshot;
  /** `previous`, `earlier` or `baseline`: how the choice is labelled. */
  role: 'previous' | 'earlier' | 'baseline';
}

export interface SpectrumFigureOptions {
  /** What the figure shows, e.g. "Acceleration spectrum". */
  caption: string;
  /** `spectrum` or `envelope`: the figure's data-chart, for styling and tests. */
  kind: string;
  signal: AbortSignal;
  /** The shaft rate when known from elsewhere (the envelope has no 1× mark of its own). */
  shaftHz?: number;
}

export interface SpectrumFigure {
  element: HTMLElement;
  /** Offers earlier snapshots (newest first); the first is drawn under this one straight away. */
  offerEarlier(earlier: EarlierSnapshot[]): void;
}

interface ViewState {
  /** The x range shown, in Hz whatever the axis says. */
  view: Range;
  log: boolean;
  orders: boolean;
  /** The fundamental of the harmonic cursors, Hz. */
  cursorHz?: number;
  earlier?: EarlierSnapshot;
}

const roleName = (e: EarlierSnapshot) =>
  e.role === 'previous' ? 'Previous ticket' : e.role === 'baseline' ? 'Baseline' : 'Earlier ticket';
const describeEarlier = (e: EarlierSnapshot) => `${roleName(e)}, ${formatTime(e.at)}`;

/**
 * The ticket's spectrum snapshot with its marks: each mark a vertical line on the canvas and a
 * label (`.spectrum-mark`, `data-hz`) over it; the same marks listed below as text, since a canvas
 * says nothing to a screen reader. It opens on the band that matters (spectrum-range.ts); a drag
 * zooms into a band and the zoom stays, double-click or Reset zoom returns. A click on a line sets
 * harmonic cursors at 1×…10× of it (Esc or Clear removes them). The figure carries its view as
 * data attributes (`data-x-min`, `data-x-max`, `data-x-unit`, `data-y-scale`…) for tests and tools.
 */
export function spectrumFigure(snapshot: SpectrumSnapshot, options: SpectrumFigureOptions): SpectrumFigure {
  const marks = [...(snapshot.marks ?? [])].sort((a, b) => a.hz - b.hz);
  const frequencies = snapshot.amplitudes.map((_, i) => i * snapshot.binHz);
  const maxHz = frequencies.at(-1) || 1;
  const full: Range = [0, maxHz];
  const shaftHz = shaftHzOf(marks) ?? options.shaftHz;
  const initial = defaultRange(maxHz, marks, shaftHz);
  const state: ViewState = { view: initial, log: false, orders: false };
  let offered: EarlierSnapshot[] = [];
  let chart: uPlot | undefined;

  const plot = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${options.caption}: ${snapshot.amplitudes.length} lines up to ${formatNumber(maxHz, 4)} Hz, ${marks.length} marked frequencies listed below`,
  });
  const overlayNote = h('p', { class: 'chart-notes overlay-note', hidden: true });
  const cursorList = h('div', { class: 'harmonic-cursors', 'aria-live': 'polite' });
  const figure = h('figure', { class: 'chart-figure', 'data-chart': options.kind });

  /** Hz per unit of the x axis: 1, or the shaft rate on the order axis. */
  const perUnit = () => (state.orders && shaftHz ? shaftHz : 1);
  const xLabel = () => (state.orders ? 'Order (× running speed)' : 'Frequency (Hz)');
  const same = (a: Range, b: Range) =>
    Math.abs(a[0] - b[0]) < 1e-9 * maxHz && Math.abs(a[1] - b[1]) < 1e-9 * maxHz;

  const controls = spectrumControls(options.caption, shaftHz !== undefined, {
    pan: (direction) => setView(pan(state.view, full, direction * 0.5)),
    resetZoom: () => setView(initial),
    fullRange: () => setView(full),
    setLog: (on) => {
      state.log = on;
      build();
    },
    setOrders: (on) => {
      state.orders = on && shaftHz !== undefined;
      build();
    },
    compareWith: (index) => {
      state.earlier = offered[index];
      build();
    },
  });

  function setView(view: Range) {
    state.view = view;
    chart?.setScale('x', { min: view[0] / perUnit(), max: view[1] / perUnit() });
  }

  /** The figure's data attributes and the toolbar follow the chart's scales. */
  function describe(u: uPlot) {
    const x = u.scales.x;
    const y = u.scales.y;
    if (x?.min != null && x.max != null) {
      state.view = [x.min * perUnit(), x.max * perUnit()];
      figure.dataset.xMin = String(round(x.min));
      figure.dataset.xMax = String(round(x.max));
    }
    if (y?.min != null && y.max != null) {
      figure.dataset.yMin = String(round(y.min));
      figure.dataset.yMax = String(round(y.max));
    }
    figure.dataset.xUnit = state.orders ? 'order' : 'Hz';
    figure.dataset.xLabel = xLabel();
    figure.dataset.yScale = state.log ? 'log' : 'linear';
    controls.update({
      atStart: state.view[0] <= full[0] + 1e-9,
      atEnd: state.view[1] >= full[1] - 1e-9,
      isDefault: same(state.view, initial),
      isFull: same(state.view, full),
    });
  }

  const markLabels = marks.map((mark) => ({
    hz: mark.hz,
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
  let cursorLabels: { hz: number; element: HTMLElement }[] = [];
  let cursorsBeforeClicks: number | undefined;

  function placeCursorLabels(u: uPlot) {
    const width = u.over.clientWidth;
    for (const { hz, element } of cursorLabels) {
      const left = u.valToPos(hz / perUnit(), 'x');
      element.hidden = left < 0 || left > width;
      element.style.left = `${left}px`;
    }
  }

  function setCursors(hz: number | undefined) {
    state.cursorHz = hz;
    for (const { element } of cursorLabels) element.remove();
    cursorLabels = [];
    if (hz === undefined) {
      delete figure.dataset.cursorHz;
      cursorList.replaceChildren();
      chart?.redraw(false, false);
      return;
    }
    figure.dataset.cursorHz = String(round(hz));
    const harmonics = harmonicsOf(hz);
    cursorLabels = harmonics.map((f, i) => ({
      hz: f,
      element: h(
        'span',
        { class: 'harmonic-cursor', 'data-hz': round(f), 'aria-hidden': 'true' },
        `${i + 1}`,
      ),
    }));
    if (chart) for (const { element } of cursorLabels) chart.over.appendChild(element);
    cursorList.replaceChildren(
      h('strong', {}, `Harmonic cursors of ${formatNumber(hz, 5)} Hz`),
      h(
        'ol',
        { class: 'harmonic-list' },
        ...harmonics.map((f, i) =>
          h(
            'li',
            { 'data-hz': round(f), class: f > maxHz ? 'muted' : undefined },
            `${i + 1}× ${formatNumber(f, 5)} Hz`,
            shaftHz ? ` (${formatNumber(f / shaftHz, 3)} orders)` : '',
          ),
        ),
      ),
      h(
        'button',
        { type: 'button', class: 'chart-button', onclick: () => setCursors(undefined) },
        'Clear cursors',
      ),
    );
    chart?.redraw(false, false);
  }

  function build() {
    chart?.destroy();
    const unit = perUnit();
    const xs = frequencies.map((f) => f / unit);
    const peak = snapshot.amplitudes.reduce((max, a) => (a > max ? a : max), 0) || 1;
    const floor = peak * 10 ** -(LOG_DECADES + 1);
    const shown = (values: readonly (number | null)[]) =>
      state.log ? values.map((v) => (v == null ? null : Math.max(v, floor))) : [...values];
    const earlier = state.earlier;
    const earlierValues = earlier ? shown(resampleOnto(earlier.snapshot, frequencies)) : undefined;
    const amplitude = (label: string, stroke: string): uPlot.Series => ({
      label,
      stroke,
      width: 1,
      points: { show: false },
      value: (_u, v) => (v == null ? '–' : `${formatNumber(v, 3)} ${snapshot.unit}`),
    });
    let downX = Number.NaN;

    const u = new uPlot(
      {
        width: initialWidth(plot),
        height: HEIGHT,
        scales: {
          // Not auto: the view is ours (state.view), so a drag's zoom is not undone by the data's extent.
          x: { time: false, auto: false, range: (_u, min, max) => [min, max] },
          y: state.log
            ? {
                distr: 3,
                range: (_u, _min, max) => {
                  const top = Math.max(max, floor) * HEADROOM;
                  return uPlot.rangeLog(top * 10 ** -LOG_DECADES, top, 10, true);
                },
              }
            : { range: (_u, _min, max) => [0, (max || peak) * HEADROOM] },
        },
        axes: [
          {
            label: xLabel(),
            stroke: '#1f2933',
            values: (_u, ticks) =>
              ticks.map((t) => (state.orders ? `${formatNumber(t, 3)}×` : formatNumber(t, 5))),
          },
          { label: snapshot.unit, stroke: '#1f2933', size: 60 },
        ],
        series: [
          {
            label: state.orders ? 'Order' : 'Frequency',
            value: (_u, v) =>
              v == null ? '–' : state.orders ? `${formatNumber(v, 4)}×` : `${formatNumber(v, 5)} Hz`,
          },
          ...(earlier ? [amplitude(`${roleName(earlier)} (lighter)`, EARLIER_COLOR)] : []),
          amplitude(earlier ? 'This ticket' : 'Amplitude', COLORS.series),
        ],
        cursor: {
          drag: { x: true, y: false },
          bind: {
            // Double-click returns to the opening band, not to the whole snapshot uPlot would show.
            // The double-click's first click set cursors: put back the ones there were before it.
            dblclick: () => () => {
              setCursors(cursorsBeforeClicks);
              setView(initial);
              return null;
            },
          },
        },
        hooks: {
          setScale: [(self) => describe(self)],
          draw: [
            (self) => {
              for (const mark of marks) {
                verticalLine(
                  self,
                  mark.hz / unit,
                  markColor(mark),
                  isRunningSpeedOrder(mark) ? [2, 3] : [5, 3],
                );
              }
              for (const { hz } of cursorLabels) verticalLine(self, hz / unit, CURSOR_COLOR, [1, 2]);
              placeLabels(
                self,
                markLabels.map(({ hz, element }) => ({ x: hz / unit, element })),
              );
              placeCursorLabels(self);
            },
          ],
        },
      },
      [xs, ...(earlierValues ? [earlierValues] : []), shown(snapshot.amplitudes)] as uPlot.AlignedData,
      plot,
    );
    chart = u;
    for (const { element } of [...markLabels, ...cursorLabels]) u.over.appendChild(element);
    u.over.addEventListener('mousedown', (event) => {
      downX = event.clientX;
    });
    u.over.addEventListener('click', (event) => {
      if (!(Math.abs(event.clientX - downX) < CLICK_SLOP) || event.detail > 1) return;
      cursorsBeforeClicks = state.cursorHz;
      const hz = u.posToVal(event.offsetX, 'x') * unit;
      const reachBins =
        ((CLICK_REACH_PX / Math.max(1, u.over.clientWidth)) * (state.view[1] - state.view[0])) /
        snapshot.binHz;
      setCursors(snapToMark(nearestPeakHz(snapshot, hz, reachBins), marks, snapshot.binHz));
    });
    setView(state.view);
    overlayNote.hidden = !earlier;
    if (earlier) {
      figure.dataset.overlay = earlier.ticketId;
      overlayNote.replaceChildren(
        h('span', { class: 'swatch swatch-earlier', 'aria-hidden': 'true' }),
        `Lighter line: ${describeEarlier(earlier).toLowerCase()}, `,
        h('a', { href: `#/tickets/${encodeURIComponent(earlier.ticketId)}` }, earlier.title),
      );
    } else {
      delete figure.dataset.overlay;
    }
  }

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
            h(
              'button',
              {
                type: 'button',
                class: 'link-button',
                'aria-label': `Harmonic cursors at ${mark.label} (${formatNumber(mark.hz, 5)} Hz)`,
                title: 'Harmonic cursors at 1×…10× of this frequency',
                onclick: () => setCursors(mark.hz),
              },
              'harmonics',
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No frequencies marked on this snapshot.');

  figure.append(
    h(
      'figcaption',
      {},
      `${options.caption} (${snapshot.unit}), ${formatNumber(snapshot.binHz, 4)} Hz per line`,
    ),
    controls.element,
    plot,
    overlayNote,
    list,
    cursorList,
  );
  build();

  const observer = new ResizeObserver(() => {
    const width = Math.max(MIN_WIDTH, Math.floor(plot.clientWidth));
    if (chart && width !== chart.width) chart.setSize({ width, height: HEIGHT });
  });
  observer.observe(plot);
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && state.cursorHz !== undefined && !event.defaultPrevented)
      setCursors(undefined);
  };
  document.addEventListener('keydown', onKey);
  options.signal.addEventListener('abort', () => {
    observer.disconnect();
    document.removeEventListener('keydown', onKey);
    chart?.destroy();
  });

  return {
    element: figure,
    offerEarlier(earlier) {
      offered = earlier.filter((e) => e.snapshot.unit === snapshot.unit && e.snapshot.amplitudes.length > 0);
      state.earlier = offered[0];
      controls.offer(
        offered.map((e) => ({ label: `${describeEarlier(e)}: ${e.title}` })),
        offered.length ? 0 : -1,
      );
      build();
    },
  };
}
