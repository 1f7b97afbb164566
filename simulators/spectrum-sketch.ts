import type { SpectrumSnapshot } from '../shared/schema/index.js';

export interface SketchOptions {
  maxHz: number;
  width: number;
  height: number;
  /** Frequencies to mark under the axis, e.g. 1× running speed. */
  marks: { hz: number; label: string }[];
}

const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * A terminal plot of a ticket's spectrum snapshot, so the demo shows the evidence rather than only
 * naming it. Each column is the largest amplitude of the bins it covers (peaks stay visible).
 */
export function sketchSpectrum(snapshot: SpectrumSnapshot, options: SketchOptions): string[] {
  const { width, height, maxHz } = options;
  const columns = new Array<number>(width).fill(0);
  snapshot.amplitudes.forEach((amplitude, bin) => {
    const hz = bin * snapshot.binHz;
    if (hz > maxHz) return;
    const column = Math.min(width - 1, Math.round((hz / maxHz) * (width - 1)));
    columns[column] = Math.max(columns[column] ?? 0, amplitude);
  });
  const top = Math.max(...columns, Number.MIN_VALUE);
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    const line = columns
      .map((value) => {
        const eighths = Math.round((value / top) * height * 8) - row * 8;
        return BLOCKS[Math.max(0, Math.min(8, eighths))];
      })
      .join('');
    rows.push(`${row === height - 1 ? top.toPrecision(2).padStart(8) : ''.padStart(8)} │${line}`);
  }
  rows.push(`${snapshot.unit.padStart(8)} └${'─'.repeat(width)}`);
  const markLine = new Array<string>(width + 10).fill(' ');
  for (const mark of options.marks) {
    const column = Math.round((mark.hz / maxHz) * (width - 1));
    if (column < 0 || column >= width) continue;
    const text = `^${mark.label}`;
    for (let i = 0; i < text.length && 10 + column + i < markLine.length; i++)
      markLine[10 + column + i] = text[i] ?? ' ';
  }
  rows.push(markLine.join('').trimEnd());
  rows.push(`${''.padStart(10)}0 Hz${`${maxHz} Hz`.padStart(width - 4)}`);
  return rows;
}
