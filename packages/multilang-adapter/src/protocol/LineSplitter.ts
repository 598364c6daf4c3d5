/** What {@link LineSplitter} reports besides lines. @public */
export interface LineSplitterEvents {
  /** A complete line (without its line break), decoded as UTF-8. */
  readonly onLine: (line: string) => void;
  /** A line longer than the cap was dropped; `bytes` counts what was dropped of it. */
  readonly onOverflow?: (bytes: number) => void;
}

/**
 * Splits a byte stream into UTF-8 lines (`\n`, with an optional `\r` before it), never holding
 * more than `maxLineBytes` of one line: a longer line is dropped whole and reported, so a child
 * that writes without line breaks cannot grow the daemon's memory.
 * @public
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private overflowing = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly events: LineSplitterEvents,
  ) {}

  /** Feeds a chunk; calls `onLine` for every line it completes. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.take(chunk.subarray(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false);
  }

  /** The stream ended: a last line without a line break is still a line. */
  end(): void {
    if (this.held > 0 || this.overflowing > 0) this.take(Buffer.alloc(0), true);
  }

  private take(piece: Buffer, complete: boolean): void {
    if (this.overflowing > 0 || this.held + piece.length > this.maxLineBytes) {
      this.overflowing += this.held + piece.length;
      this.parts = [];
      this.held = 0;
      if (complete) {
        const dropped = this.overflowing;
        this.overflowing = 0;
        this.events.onOverflow?.(dropped);
      }
      return;
    }
    if (!complete) {
      this.parts.push(Buffer.from(piece));
      this.held += piece.length;
      return;
    }
    let line = (this.parts.length ? Buffer.concat([...this.parts, piece]) : piece).toString('utf8');
    this.parts = [];
    this.held = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.events.onLine(line);
  }
}
