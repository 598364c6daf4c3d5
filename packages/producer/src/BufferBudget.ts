/** What waits for room: the record itself, so that waiting allocates nothing more. @internal */
export interface BudgetWaiter {
  readonly sizeBytes: number;
  /** Set by {@link BufferBudget.cancel} when the wait was abandoned (aborted); the budget skips it. */
  waitCancelled: boolean;
}

/**
 * The backpressure budget: records and bytes accepted and not yet settled, against
 * `maxBufferedRecords` / `maxBufferedBytes`. Waiters are served strictly first come, first served
 * (a small record never overtakes a large one that waits), and room is reserved for a waiter before
 * `onRoom` runs, so the limits hold exactly.
 * @internal
 */
export class BufferBudget<W extends BudgetWaiter> {
  records = 0;
  bytes = 0;
  private waiters: W[] = [];
  private head = 0;
  /** Waiters not cancelled, kept as a count: the producer checks it on every put that has to wait. */
  private waitingCount = 0;

  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
    /** Called synchronously, in FIFO order, once room is reserved for a waiter. */
    private readonly onRoom: (waiter: W) => void,
  ) {}

  /** Waiters not cancelled. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Reserves room for one record of `bytes` if there is room and nobody waits ahead. */
  tryTake(bytes: number): boolean {
    if (this.head < this.waiters.length || !this.fits(bytes)) return false;
    this.records++;
    this.bytes += bytes;
    return true;
  }

  /** Queues a waiter; `onRoom` gets it once room is reserved. */
  enqueue(waiter: W): void {
    this.waiters.push(waiter);
    this.waitingCount++;
  }

  /** Abandons a queued waiter: it is skipped, and no longer counts as waiting. */
  cancel(waiter: W): void {
    if (waiter.waitCancelled) return;
    waiter.waitCancelled = true;
    this.waitingCount--;
  }

  /** Gives back room and serves waiters that now fit. */
  release(records: number, bytes: number): void {
    this.records -= records;
    this.bytes -= bytes;
    if (this.head < this.waiters.length) this.serve();
  }

  /** Removes and returns every waiter not cancelled (for close). */
  drainWaiters(): W[] {
    const rest = this.waiters.slice(this.head).filter((w) => !w.waitCancelled);
    this.waiters = [];
    this.head = 0;
    this.waitingCount = 0;
    return rest;
  }

  /** Serves waiters that fit, skipping cancelled ones. */
  serve(): void {
    while (this.head < this.waiters.length) {
      const w = this.waiters[this.head]!;
      if (w.waitCancelled) {
        this.head++;
        continue;
      }
      if (!this.fits(w.sizeBytes)) break;
      this.head++;
      this.waitingCount--;
      this.records++;
      this.bytes += w.sizeBytes;
      this.onRoom(w);
    }
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
  }

  private fits(bytes: number): boolean {
    // An empty buffer always takes one record, so a record is never blocked by its own size.
    return this.records === 0 || (this.records < this.maxRecords && this.bytes + bytes <= this.maxBytes);
  }
}
