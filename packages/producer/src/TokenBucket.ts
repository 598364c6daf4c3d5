/**
 * A token bucket refilled continuously with time: `capacity` tokens at most, `ratePerSecond` tokens
 * added per second. Time is passed in (monotonic milliseconds) so that the bucket is pure and
 * testable. Starts full, like the KPL's, so a fresh shard may burst up to its capacity.
 * @public
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param capacity - most tokens held (the burst size)
   * @param ratePerSecond - refill rate; may be changed later with {@link setRate}
   * @param nowMs - monotonic time of creation
   */
  constructor(
    readonly capacity: number,
    private ratePerSecond: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.last = nowMs;
  }

  /** Tokens per second currently added. */
  get rate(): number {
    return this.ratePerSecond;
  }

  /** Changes the refill rate from `nowMs` on. */
  setRate(ratePerSecond: number, nowMs: number): void {
    this.refill(nowMs);
    this.ratePerSecond = ratePerSecond;
  }

  /** Tokens available at `nowMs`. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /**
   * Whether `n` tokens can be taken at `nowMs`. A request larger than the capacity is allowed once
   * the bucket is full (it then empties it), so that no single item is blocked forever.
   */
  canTake(n: number, nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= Math.min(n, this.capacity);
  }

  /** Takes `n` tokens (possibly going below zero for an oversize request, which then delays the next). */
  take(n: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= n;
  }

  /** Milliseconds from `nowMs` until {@link canTake}(n) holds; 0 when it already does. */
  msUntil(n: number, nowMs: number): number {
    this.refill(nowMs);
    const missing = Math.min(n, this.capacity) - this.tokens;
    if (missing <= 0) return 0;
    return this.ratePerSecond > 0 ? Math.ceil((missing * 1000) / this.ratePerSecond) : Infinity;
  }

  /** Empties the bucket: after a throttle, nothing more goes until it refills. */
  drain(nowMs: number): void {
    this.refill(nowMs);
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(nowMs: number): void {
    const elapsed = nowMs - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = nowMs;
    }
  }
}
