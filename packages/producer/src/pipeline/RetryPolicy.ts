import { backoffDelayMs, type ResolvedBackoffOptions, type ShardlineError, ThrottledError } from '@shardline/core';

/** What the retry policy decides about a record whose attempt failed. @internal */
export type RetryDecision =
  /** Try again at `atMs` (monotonic): `nowMs + backoffMs`, but never after the record expires. */
  | { readonly action: 'retry'; readonly atMs: number; readonly backoffMs: number }
  /** Give up with the attempt's error: it is not retryable (or throttling is not retried). */
  | { readonly action: 'fail' }
  /** Give up with RecordExpiredError: the record's TTL ran out. */
  | { readonly action: 'expire' };

/** The facts the decision depends on. @internal */
export interface FailedAttempt {
  /** Failed attempts so far, this one included (1 after the first failure). */
  readonly attempts: number;
  /** The attempt's error, classified (its `retryable` flag and class matter). */
  readonly error: ShardlineError;
  /** Milliseconds since the record was accepted, at the end of the attempt. */
  readonly ageMs: number;
  /** Monotonic ms at the end of the attempt. */
  readonly nowMs: number;
}

/** @internal */
export interface RetryPolicySettings {
  /** The record TTL, ms (`recordTtlMs`). */
  readonly ttlMs: number;
  readonly backoff: ResolvedBackoffOptions;
  /** Throttling (ThrottledError) fails at once instead of being retried. */
  readonly failIfThrottled: boolean;
  /** Jitter source, [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/**
 * The producer's retry rule as a pure function of a failed attempt — no clock, no I/O:
 * non-retryable errors fail, a record past its TTL expires, anything else retries after a
 * jittered exponential backoff (`retryBackoff`), capped at the record's expiry. Like
 * smithy-typescript's RetryStrategy, it decides; the {@link RetryScheduler} acts.
 * @internal
 */
export class RetryPolicy {
  private readonly random: () => number;

  constructor(private readonly settings: RetryPolicySettings) {
    this.random = settings.random ?? Math.random;
  }

  decide(attempt: FailedAttempt): RetryDecision {
    const s = this.settings;
    if (!attempt.error.retryable || (s.failIfThrottled && attempt.error instanceof ThrottledError)) return FAIL;
    const leftMs = s.ttlMs - attempt.ageMs;
    if (leftMs <= 0) return EXPIRE;
    const backoffMs = this.backoffMs(attempt.attempts);
    return { action: 'retry', atMs: attempt.nowMs + Math.min(backoffMs, leftMs), backoffMs };
  }

  /** The jittered backoff before the next try of a record that failed `attempts` times (at least 1). */
  backoffMs(attempts: number): number {
    return backoffDelayMs(Math.max(1, attempts) - 1, this.settings.backoff, this.random);
  }
}

const FAIL: RetryDecision = { action: 'fail' };
const EXPIRE: RetryDecision = { action: 'expire' };
