import { AwsServiceError, resolveBackoffOptions, ServiceUnavailableError, ThrottledError } from '@shardline/core';
import { RetryPolicy } from './RetryPolicy';

describe('RetryPolicy', () => {
  const backoff = resolveBackoffOptions({ baseDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 'none' });
  const policy = new RetryPolicy({ ttlMs: 10_000, backoff, failIfThrottled: false });
  const transient = new ServiceUnavailableError('InternalFailure');

  it('retries a retryable error after the backoff for its attempt count', () => {
    expect(policy.decide({ attempts: 1, error: transient, ageMs: 0, nowMs: 500 })).toEqual({ action: 'retry', atMs: 600, backoffMs: 100 });
    expect(policy.decide({ attempts: 3, error: transient, ageMs: 0, nowMs: 500 })).toEqual({ action: 'retry', atMs: 900, backoffMs: 400 });
    expect(policy.decide({ attempts: 9, error: transient, ageMs: 0, nowMs: 500 })).toEqual({ action: 'retry', atMs: 1_500, backoffMs: 1_000 });
  });

  it('never schedules a retry after the record expires', () => {
    expect(policy.decide({ attempts: 9, error: transient, ageMs: 9_700, nowMs: 20_000 })).toEqual({ action: 'retry', atMs: 20_300, backoffMs: 1_000 });
  });

  it('expires a record whose TTL ran out, however retryable its error', () => {
    expect(policy.decide({ attempts: 1, error: transient, ageMs: 10_000, nowMs: 0 })).toEqual({ action: 'expire' });
    expect(policy.decide({ attempts: 1, error: transient, ageMs: 12_000, nowMs: 0 })).toEqual({ action: 'expire' });
  });

  it('fails a non-retryable error at once, even with TTL left', () => {
    const error = new AwsServiceError('KMSDisabledException', 'key disabled', { retryable: false });
    expect(policy.decide({ attempts: 1, error, ageMs: 0, nowMs: 0 })).toEqual({ action: 'fail' });
  });

  it('retries throttling unless failIfThrottled', () => {
    const throttled = new ThrottledError('slow down');
    expect(policy.decide({ attempts: 1, error: throttled, ageMs: 0, nowMs: 0 }).action).toBe('retry');
    const strict = new RetryPolicy({ ttlMs: 10_000, backoff, failIfThrottled: true });
    expect(strict.decide({ attempts: 1, error: throttled, ageMs: 0, nowMs: 0 })).toEqual({ action: 'fail' });
  });

  it('draws jitter from the random source it is given', () => {
    const jittered = new RetryPolicy({
      ttlMs: 10_000,
      backoff: resolveBackoffOptions({ baseDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 'full' }),
      failIfThrottled: false,
      random: () => 0.5,
    });
    expect(jittered.decide({ attempts: 2, error: transient, ageMs: 0, nowMs: 0 })).toEqual({ action: 'retry', atMs: 100, backoffMs: 100 });
    expect(jittered.backoffMs(0)).toBe(50);
  });
});
