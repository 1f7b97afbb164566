import type { SpectrumSnapshot } from '../../shared/schema/index.js';

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
  rows.push(...markLines(options.marks, maxHz, width));
  rows.push(`${''.padStart(10)}0 Hz${`${Number(maxHz.toPrecision(4))} Hz`.padStart(width - 4)}`);
  return rows;
}

/** Marks under the axis; a label that would overwrite another goes on the next line down. */
function markLines(marks: SketchOptions['marks'], maxHz: number, width: number): string[] {
  const lines: string[][] = [];
  for (const mark of [...marks].sort((a, b) => a.hz - b.hz)) {
    const column = Math.round((mark.hz / maxHz) * (width - 1));
    if (column < 0 || column >= width) continue;
    const text = `^${mark.label}`;
    const start = 10 + column;
    let line = lines.find((l) => l.slice(start - 1, start + text.length).every((c) => c === ' '));
    if (!line) {
      line = new Array<string>(width + 20).fill(' ');
      lines.push(line);
    }
    for (let i = 0; i < text.length && start + i < line.length; i++) line[start + i] = text[i] ?? ' ';
  }
  return lines.map((l) => l.join('').trimEnd());
}
