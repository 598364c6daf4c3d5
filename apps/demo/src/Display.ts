/**
 * The demo's terminal output. On a TTY, a small panel (see `progressView.ts`) is redrawn in place
 * at most four times a second and events scroll above it; otherwise every event and a progress
 * line every few seconds are plain lines, with no terminal control codes.
 */
import { type DemoView, panelLines, progressLine } from './progressView';

/** Where output goes and how. */
export interface DisplayOptions {
  /** Redraw a panel in place with ANSI cursor movement. */
  readonly tty: boolean;
  /** Terminal width; panel lines are cut to it (a wrapped line would break the redraw). Default (or 0): 100. */
  readonly columns?: number;
  /** Between progress lines when not a TTY, in ms. Default 5,000. */
  readonly progressIntervalMs?: number;
}

const REDRAW_MS = 250;
/** Cursor to the start of the line `n` lines up, then clear to the end of the screen. */
const up = (n: number): string => (n > 0 ? `\x1b[${n}F\x1b[J` : '');

export class Display {
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly say: (line: string) => void,
    private readonly options: DisplayOptions,
    private readonly view: () => DemoView,
  ) {}

  /** Starts the redraws (TTY) or the progress lines. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => (this.options.tty ? this.redraw() : this.say(this.stamp(progressLine(this.view())))), this.options.tty ? REDRAW_MS : (this.options.progressIntervalMs ?? 5_000));
    if (this.options.tty) this.redraw();
  }

  /** Something happened: one line, stamped with the run's elapsed time. */
  event(text: string): void {
    this.line(this.stamp(text));
  }

  /** A permanent line (above the panel on a TTY). */
  line(text: string): void {
    if (!this.options.tty || !this.timer) return this.say(text);
    this.say(`${up(this.drawn)}${text}\n${this.panel()}`);
  }

  /** Stops redrawing; on a TTY the last panel stays on screen. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.tty) this.redraw();
    else this.say(this.stamp(progressLine(this.view())));
    this.drawn = 0;
  }

  private stamp(text: string): string {
    return `${(this.view().elapsedMs / 1000).toFixed(1).padStart(6)}s  ${text}`;
  }

  private redraw(): void {
    this.say(`${up(this.drawn)}${this.panel()}`);
  }

  /** The panel's text (without the final newline `say` adds); remembers its height for the next redraw. */
  private panel(): string {
    const lines = panelLines(this.view(), this.options.columns || 100);
    this.drawn = lines.length;
    return lines.join('\n');
  }
}
