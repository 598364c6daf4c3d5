import type { Clock } from '@shardline/core';

/**
 * The producer's single timer: armed for the earliest moment anything is due (an aggregate's
 * deadline, an expiry, a retry, a rate limit), re-armed only when something earlier comes up.
 * @internal
 */
export class WakeTimer {
  private armedAt = Infinity;
  private controller: AbortController | undefined;

  constructor(
    private readonly clock: Clock,
    /** The timer fired. */
    private readonly onWake: () => void,
    /** The clock's sleep rejected. */
    private readonly onError: (error: unknown) => void,
    /** True when no timer may be armed (closed, or closing with nothing left). */
    private readonly idle: () => boolean,
  ) {}

  /** Arms the timer for `at` (monotonic ms) unless it already fires earlier. */
  wakeAt(at: number): void {
    if (at >= this.armedAt || this.idle()) return;
    const controller = new AbortController();
    // Armed before it is recorded: a clock that throws leaves no timer believed to be pending.
    const elapsed = this.clock.sleep(Math.max(0, at - this.clock.monotonicNow()), controller.signal);
    this.controller?.abort();
    this.controller = controller;
    this.armedAt = at;
    elapsed.then(
      (done) => {
        if (!done || this.controller !== controller) return;
        this.controller = undefined;
        this.armedAt = Infinity;
        this.onWake();
      },
      (error: unknown) => {
        if (this.controller !== controller) return;
        this.controller = undefined;
        this.armedAt = Infinity;
        this.onError(error);
      },
    );
  }

  /** Releases the timer for good: it is never armed again. */
  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
    this.armedAt = -Infinity;
  }
}
