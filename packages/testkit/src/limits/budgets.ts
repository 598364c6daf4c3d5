/** Monotonic milliseconds; injected so that unit tests drive time. `performance.now` by default. */
export interface LimitsClock {
  now(): number;
}

/** The process's monotonic clock. */
export const systemLimitsClock: LimitsClock = { now: () => performance.now() };

/**
 * A token bucket refilled continuously at `ratePerSecond` up to `capacity`, starting full. With
 * `capacity` = one second of rate it is the 1-second window Kinesis approximates its write limits
 * with: at most one second's worth in a burst, the rate on average. A bucket may go into debt:
 * {@link tryTake} lets one amount larger than the capacity through when the bucket is full (a
 * 1 MiB record on a limit scaled below 1 MiB/s), and {@link charge} takes unconditionally (bytes a
 * read returned, known only afterwards).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.last = nowMs;
  }

  /** Tokens now; negative while in debt. */
  level(nowMs: number): number {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.last) * this.ratePerSecond) / 1000);
      this.last = nowMs;
    }
    return this.tokens;
  }

  /** Takes `amount` if the bucket holds it (or is full), else takes nothing and returns false. */
  tryTake(amount: number, nowMs: number): boolean {
    const level = this.level(nowMs);
    if (level < amount && level < this.capacity) return false;
    this.tokens -= amount;
    return true;
  }

  /** Takes `amount` whatever the level (the bucket may go into debt). */
  charge(amount: number, nowMs: number): void {
    this.level(nowMs);
    this.tokens -= amount;
  }

  /** Gives back what a refused call had taken. */
  refund(amount: number, nowMs: number): void {
    this.level(nowMs);
    this.tokens = Math.min(this.capacity, this.tokens + amount);
  }
}

/**
 * At most `rate × window` calls in any window: each admitted call holds a slot for one window
 * (a token that comes back exactly one window after it was used). "Five calls per second" means
 * that any six calls within one second see exactly one refusal, whatever their spacing.
 */
export class CallWindow {
  private readonly slots: number;
  private readonly windowMs: number;
  private readonly times: number[] = [];

  constructor(callsPerSecond: number) {
    // 5/s → 5 calls per 1,000 ms; 0.5/s → 1 call per 2,000 ms; 2.5/s → 2 per 800 ms.
    this.slots = Math.max(1, Math.floor(callsPerSecond));
    this.windowMs = (1000 * this.slots) / callsPerSecond;
  }

  /** Admits a call at `nowMs` if fewer than the allowed calls were admitted in the window before it. */
  tryTake(nowMs: number): boolean {
    while (this.times.length > 0 && this.times[0]! <= nowMs - this.windowMs) this.times.shift();
    if (this.times.length >= this.slots) return false;
    this.times.push(nowMs);
    return true;
  }
}
