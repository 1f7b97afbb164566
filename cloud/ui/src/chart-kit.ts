import type uPlot from 'uplot';

/**
 * What the spectrum and trend charts share: sizing to their container, and lines drawn on the
 * canvas in data coordinates. Colours pass 4.5:1 against the white plot background (app.css).
 */
export const COLORS = {
  series: '#1f4e8c',
  defect: '#b3261e',
  harmonic: '#4b5563',
  threshold: '#b3261e',
  eta: '#6b21a8',
  etaBand: 'rgba(107, 33, 168, 0.12)',
  event: '#4b5563',
} as const;

const MIN_WIDTH = 280;

/** Keeps the chart as wide as its container (laptop, tablet, a rotated tablet) until `signal` aborts. */
export function fitToContainer(
  chart: uPlot,
  container: HTMLElement,
  height: number,
  signal: AbortSignal,
): void {
  const observer = new ResizeObserver(() => {
    const width = Math.max(MIN_WIDTH, Math.floor(container.clientWidth));
    if (width !== chart.width) chart.setSize({ width, height });
  });
  observer.observe(container);
  signal.addEventListener('abort', () => {
    observer.disconnect();
    chart.destroy();
  });
}

/** The chart's first width: its container's when already laid out, else a laptop's column. */
export const initialWidth = (container: HTMLElement): number =>
  Math.max(MIN_WIDTH, Math.floor(container.clientWidth) || 640);

/** A vertical line at `x` (data units of the x scale) across the plotting area. */
export function verticalLine(chart: uPlot, x: number, color: string, dash: number[] = []): void {
  const { ctx, bbox } = chart;
  const cx = Math.round(chart.valToPos(x, 'x', true)) + 0.5;
  if (cx < bbox.left || cx > bbox.left + bbox.width) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = devicePixelRatio;
  ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
  ctx.beginPath();
  ctx.moveTo(cx, bbox.top);
  ctx.lineTo(cx, bbox.top + bbox.height);
  ctx.stroke();
  ctx.restore();
}

/** A horizontal line at `y` (data units of the y scale) across the plotting area. */
export function horizontalLine(chart: uPlot, y: number, color: string, dash: number[] = []): void {
  const { ctx, bbox } = chart;
  const cy = Math.round(chart.valToPos(y, 'y', true)) + 0.5;
  if (cy < bbox.top || cy > bbox.top + bbox.height) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
  ctx.beginPath();
  ctx.moveTo(bbox.left, cy);
  ctx.lineTo(bbox.left + bbox.width, cy);
  ctx.stroke();
  ctx.restore();
}

/** A shaded band between two x values, clipped to the plotting area. */
export function verticalBand(chart: uPlot, from: number, to: number, fill: string): void {
  const { ctx, bbox } = chart;
  const left = Math.max(bbox.left, chart.valToPos(from, 'x', true));
  const right = Math.min(bbox.left + bbox.width, chart.valToPos(to, 'x', true));
  if (right <= left) return;
  ctx.save();
  ctx.fillStyle = fill;
  ctx.fillRect(left, bbox.top, right - left, bbox.height);
  ctx.restore();
}

/**
 * Places labels (already in `chart.over`) above their x positions, in as many rows as it takes for
 * neighbours not to overlap: BPFO and 2×BPFO can sit a few pixels apart on a narrow tablet.
 */
export function placeLabels(
  chart: uPlot,
  labels: { element: HTMLElement; x: number }[],
  rowHeight = 18,
): void {
  const width = chart.over.clientWidth || chart.bbox.width / devicePixelRatio;
  const rowEnds: number[] = [];
  const visible = labels
    .map((label) => ({ ...label, left: chart.valToPos(label.x, 'x') }))
    .sort((a, b) => a.left - b.left);
  for (const { element, left } of visible) {
    const inside = left >= 0 && left <= width;
    element.hidden = !inside;
    if (!inside) continue;
    const labelWidth = element.offsetWidth || (element.textContent ?? '').length * 7 + 8;
    const start = Math.min(Math.max(0, left - labelWidth / 2), Math.max(0, width - labelWidth));
    let row = rowEnds.findIndex((end) => end + 4 <= start);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = start + labelWidth;
    element.style.left = `${start}px`;
    element.style.top = `${row * rowHeight}px`;
  }
}
