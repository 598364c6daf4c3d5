/**
 * Time, injected. Components take a `Clock` so that tests can drive time and so that lease expiry
 * is measured on a monotonic clock, never by comparing wall clocks across hosts.
 * @public
 */
export interface Clock {
  /** Wall-clock time in epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin; only differences are meaningful. */
  monotonicNow(): number;
  /**
   * Waits `ms` milliseconds. Resolves `true` when the time elapsed and `false` as soon as `signal`
   * aborts (never rejects), and clears its timer either way.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

/** The process clock: `Date.now`, `performance.now` and real timers. @public */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    monotonicNow: () => performance.now(),
    sleep: (ms, signal) => sleepWithTimer(ms, signal),
  };
}

function sleepWithTimer(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A clock that moves only when told to: `advance(ms)` moves both clocks and resolves every sleep
 * that became due. For unit tests of timing logic (backoff, rate limits, lease expiry).
 * @public
 */
export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;
  private readonly sleepers: { until: number; resolve: (v: boolean) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];

  constructor(startEpochMs = 1_700_000_000_000) {
    this.wall = startEpochMs;
  }

  now(): number {
    return this.wall;
  }

  monotonicNow(): number {
    return this.mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry: (typeof this.sleepers)[number] = { until: this.mono + ms, resolve, signal };
      if (signal) {
        entry.onAbort = () => {
          this.sleepers.splice(this.sleepers.indexOf(entry), 1);
          resolve(false);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.sleepers.push(entry);
    });
  }

  /** Number of sleeps not yet resolved. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** Moves time forward and resolves the sleeps that are due, earliest first. */
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
    const due = this.sleepers.filter((s) => s.until <= this.mono).sort((a, b) => a.until - b.until);
    for (const s of due) {
      this.sleepers.splice(this.sleepers.indexOf(s), 1);
      if (s.onAbort) s.signal?.removeEventListener('abort', s.onAbort);
      s.resolve(true);
    }
  }
}
