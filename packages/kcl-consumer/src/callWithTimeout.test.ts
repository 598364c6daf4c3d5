import { ManualClock } from '@shardline/core';
import { callWithTimeout } from './callWithTimeout';

/** Lets pending promise callbacks run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('callWithTimeout', () => {
  it('ok: a call that resolves in time, sync or async; its timer is released', async () => {
    const clock = new ManualClock();
    await expect(callWithTimeout(() => 42, 1_000, clock)).resolves.toEqual({ kind: 'ok' });
    await expect(callWithTimeout(async () => undefined, 1_000, clock)).resolves.toEqual({ kind: 'ok' });
    expect(clock.pendingSleeps).toBe(0);
  });

  it('threw: a synchronous throw and a rejection are both returned, not thrown', async () => {
    const clock = new ManualClock();
    const error = new Error('boom');
    await expect(
      callWithTimeout(
        () => {
          throw error;
        },
        1_000,
        clock,
      ),
    ).resolves.toEqual({ kind: 'threw', error });
    await expect(callWithTimeout(() => Promise.reject(error), 1_000, clock)).resolves.toEqual({ kind: 'threw', error });
    expect(clock.pendingSleeps).toBe(0);
  });

  it('timedOut: the wait ends after timeoutMs, and the signal given to the call aborts', async () => {
    const clock = new ManualClock();
    let signal: AbortSignal | undefined;
    const outcome = callWithTimeout(
      (s) => {
        signal = s;
        return new Promise(() => undefined);
      },
      1_000,
      clock,
    );
    await settle();
    expect(signal!.aborted).toBe(false);
    clock.advance(999);
    await settle();
    let done = false;
    void outcome.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await expect(outcome).resolves.toEqual({ kind: 'timedOut' });
    expect(signal!.aborted).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('a call that settles after its timeout changes nothing', async () => {
    const clock = new ManualClock();
    let finish!: () => void;
    const outcome = callWithTimeout(() => new Promise<void>((r) => (finish = r)), 10, clock);
    await settle();
    clock.advance(10);
    await expect(outcome).resolves.toEqual({ kind: 'timedOut' });
    finish();
    await settle();
    await expect(outcome).resolves.toEqual({ kind: 'timedOut' });
  });

  it('abandoned: aborting `abandon` ends the wait at once and aborts the call’s signal', async () => {
    const clock = new ManualClock();
    const abandon = new AbortController();
    let signal: AbortSignal | undefined;
    const outcome = callWithTimeout(
      (s) => {
        signal = s;
        return new Promise(() => undefined);
      },
      60_000,
      clock,
      abandon.signal,
    );
    await settle();
    abandon.abort();
    await expect(outcome).resolves.toEqual({ kind: 'abandoned' });
    expect(signal!.aborted).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('abandoned already: the wait ends at once, not after timeoutMs, and the call’s signal is aborted', async () => {
    const clock = new ManualClock();
    const abandon = new AbortController();
    abandon.abort();
    let signal: AbortSignal | undefined;
    const outcome = callWithTimeout(
      (s) => {
        signal = s;
        return new Promise(() => undefined);
      },
      60_000,
      clock,
      abandon.signal,
    );
    let result: unknown;
    void outcome.then((o) => (result = o));
    await settle();
    expect(result).toEqual({ kind: 'abandoned' });
    expect(signal?.aborted ?? true).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('a call that completes leaves the signal it was given unaborted and stops listening to `abandon`', async () => {
    const clock = new ManualClock();
    const abandon = new AbortController();
    let signal: AbortSignal | undefined;
    await expect(callWithTimeout((s) => void (signal = s), 1_000, clock, abandon.signal)).resolves.toEqual({ kind: 'ok' });
    abandon.abort();
    expect(signal!.aborted).toBe(false);
  });
});
