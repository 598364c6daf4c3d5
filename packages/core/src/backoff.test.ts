import fc from 'fast-check';
import { Backoff, backoffDelayMs, resolveBackoffOptions, retry } from './backoff';
import { ManualClock } from './Clock';
import { InvalidArgumentError, ThrottledError } from './errors';

describe('backoff', () => {
  it('full jitter stays within [0, min(max, base * 2^n)] (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1000, max: 60_000 }), fc.nat(40), fc.double({ min: 0, max: 0.999999, noNaN: true }), (base, max, attempt, r) => {
        const opts = resolveBackoffOptions({ baseDelayMs: base, maxDelayMs: max });
        const d = backoffDelayMs(attempt, opts, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(max, base * 2 ** attempt));
      }),
    );
  });

  it('grows exponentially up to the cap without jitter', () => {
    const b = new Backoff({ baseDelayMs: 100, maxDelayMs: 1000, jitter: 'none' });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('equal jitter keeps at least half the cap', () => {
    const opts = resolveBackoffOptions({ baseDelayMs: 100, jitter: 'equal' });
    expect(backoffDelayMs(2, opts, () => 0)).toBe(200);
    expect(backoffDelayMs(2, opts, () => 0.999)).toBe(400);
  });

  it('validates eagerly and names the field', () => {
    expect(() => resolveBackoffOptions({ baseDelayMs: 500, maxDelayMs: 100 }, 'producer.retryBackoff')).toThrow(
      new InvalidArgumentError('producer.retryBackoff.maxDelayMs must be an integer between 500 and 3600000 (got 100)'),
    );
    expect(() => resolveBackoffOptions({ jitter: 'some' as never })).toThrow(/backoff.jitter must be one of/);
  });
});

describe('retry', () => {
  it('retries retryable errors with backoff and returns the first success', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const delays: number[] = [];
    const p = retry(
      async () => {
        if (++calls < 3) throw new ThrottledError('slow down');
        return 'ok';
      },
      { clock, baseDelayMs: 10, jitter: 'none', onRetry: (_e, _a, d) => delays.push(d) },
    );
    for (let i = 0; i < 5 && calls < 3; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(100);
    }
    await expect(p).resolves.toBe('ok');
    expect(delays).toEqual([10, 20]);
  });

  it('fails fast on a non-retryable error and stops after maxAttempts', async () => {
    const clock = new ManualClock();
    await expect(retry(async () => Promise.reject(new InvalidArgumentError('bad')), { clock })).rejects.toThrow('bad');
    let calls = 0;
    const p = retry(async () => Promise.reject(new ThrottledError(`t${++calls}`)), { clock, maxAttempts: 2, baseDelayMs: 1, jitter: 'none' });
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
    await expect(p).rejects.toThrow('t2');
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const p = retry(async () => Promise.reject(new ThrottledError('t')), { clock, signal: ac.signal, maxAttempts: 10 });
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await expect(p).rejects.toThrow('t');
    expect(clock.pendingSleeps).toBe(0);
  });
});
