import { type Clock, LeaseLostError, ShutdownError, TimeoutError } from '@shardline/core';

/** How a call into user code ended. */
export type CallOutcome = { readonly kind: 'ok' } | { readonly kind: 'threw'; readonly error: unknown } | { readonly kind: 'timedOut' } | { readonly kind: 'abandoned' };

/**
 * Calls user code (sync throws included) and waits at most `timeoutMs` for it, or until `abandon`
 * aborts. The call gets a signal that aborts when the wait is given up, so that cooperative code
 * can stop; code that ignores it keeps running, unobserved, and its checkpointer is revoked by
 * the caller. The timer is always cleared.
 */
export async function callWithTimeout(fn: (signal: AbortSignal) => unknown, timeoutMs: number, clock: Clock, abandon?: AbortSignal, interrupt?: AbortSignal): Promise<CallOutcome> {
  // `interrupt` aborts the call's signal (e.g. the lease is lost) but the wait goes on: calls stay serial.
  const controller = new AbortController();
  // The signal's reason says why: LeaseLostError (the call may still finish), TimeoutError or ShutdownError (given up).
  const onInterrupt = (): void => controller.abort(new LeaseLostError('the lease was lost during this call'));
  interrupt?.addEventListener('abort', onInterrupt, { once: true });
  if (interrupt?.aborted) onInterrupt();
  const stopWaiting = new AbortController();
  const onAbandon = (): void => stopWaiting.abort();
  abandon?.addEventListener('abort', onAbandon, { once: true });
  // A listener added to an already aborted signal never fires.
  if (abandon?.aborted) onAbandon();
  try {
    const call = (async (): Promise<CallOutcome> => {
      try {
        await fn(controller.signal);
        return { kind: 'ok' };
      } catch (error) {
        return { kind: 'threw', error };
      }
    })();
    const wait = clock.sleep(timeoutMs, stopWaiting.signal).then((elapsed): CallOutcome => ({ kind: elapsed ? 'timedOut' : 'abandoned' }));
    const outcome = await Promise.race([call, wait]);
    if (outcome.kind === 'timedOut') controller.abort(new TimeoutError(`the call did not settle within ${timeoutMs} ms`));
    if (outcome.kind === 'abandoned') controller.abort(new ShutdownError('the worker gave up on this call'));
    return outcome;
  } finally {
    stopWaiting.abort();
    abandon?.removeEventListener('abort', onAbandon);
    interrupt?.removeEventListener('abort', onInterrupt);
  }
}
