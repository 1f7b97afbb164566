/** Replay progress: a pure line formatter, and a writer that redraws on a TTY and throttles elsewhere. */

export interface ReplayProgress {
  frame: number;
  /** Frames in the whole replay; undefined when looping for ever. */
  totalFrames?: number;
  simulatedS: number;
  totalS?: number;
  speed: number;
  /** Wall seconds since the start. */
  wallS: number;
  loop: number;
}

const BAR_WIDTH = 10;

const seconds = (s: number): string => (s < 100 ? s.toFixed(1) : s.toFixed(0));

/** `[#####-----] 52 %  frame 130/250  12.3 s of 24.0 s  speed 10x  eta 1.2 s` */
export function formatProgress(p: ReplayProgress): string {
  const speed = `speed ${Number(p.speed.toPrecision(4))}x`;
  if (p.totalFrames === undefined || p.totalS === undefined) {
    return `frame ${p.frame}  ${seconds(p.simulatedS)} s  loop ${p.loop + 1}  ${speed}`;
  }
  const fraction = p.totalFrames > 0 ? Math.min(1, p.frame / p.totalFrames) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const etaS = Math.max(0, (p.totalS - p.simulatedS) / p.speed);
  return (
    `${bar} ${Math.floor(fraction * 100)} %  frame ${p.frame}/${p.totalFrames}  ` +
    `${seconds(p.simulatedS)} s of ${seconds(p.totalS)} s  ${speed}  eta ${seconds(etaS)} s`
  );
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** How often a TTY line is redrawn, at most: the eye needs no more, and slow terminals thank us. */
const TTY_REDRAW_MS = 100;
/** Without a total (looping for ever), a plain log gets a line at most this often. */
const UNBOUNDED_LOG_MS = 30_000;

/**
 * On a TTY, one line redrawn in place; otherwise (CI logs, files) one plain line per 10 %, so a long
 * replay writes eleven lines, not thousands.
 */
export class ProgressWriter {
  private lastDecile = -1;
  private lastWriteMs = -Infinity;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = Date.now,
  ) {}

  update(p: ReplayProgress, final = false): void {
    const line = formatProgress(p);
    const now = this.now();
    if (this.stream.isTTY) {
      if (!final && now - this.lastWriteMs < TTY_REDRAW_MS) return;
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
      this.lastWriteMs = now;
      return;
    }
    if (p.totalFrames === undefined) {
      if (!final && now - this.lastWriteMs < UNBOUNDED_LOG_MS) return;
    } else {
      const decile = Math.floor((10 * p.frame) / Math.max(1, p.totalFrames));
      if (decile <= this.lastDecile) return;
      this.lastDecile = decile;
    }
    this.stream.write(`${line}\n`);
    this.lastWriteMs = now;
  }

  /** Ends the redrawn line, so what follows starts on its own. */
  finish(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
