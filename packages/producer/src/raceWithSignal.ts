import type { Clock } from '@shardline/core';

/**
 * Settles with `work` unless `signal` aborts first (then rejects with the abort reason). Unlike
 * passing the signal down alone, this bounds the wait even when the callee ignores the signal — a
 * request stuck in a middleware or a dead socket must not hold records forever. A late rejection of
 * `work` is absorbed so that it never becomes an unhandled rejection.
 */
export function raceWithSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  const reasonOf = (): unknown => signal.reason;
  if (signal.aborted) return Promise.reject(reasonOf());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * An AbortController that aborts with `makeError()` after `ms` on `clock`, or when `parent`
 * aborts (with the parent's reason). Call `dispose()` when done: it clears the timer.
 */
export function timeoutController(clock: Clock, ms: number, makeError: () => Error, parent?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stopTimer = new AbortController();
  const onParentAbort = (): void => controller.abort(parent!.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  if (Number.isFinite(ms)) {
    // A clock whose sleep rejects ends the wait as the timer would: the call must not outlive it unbounded.
    clock.sleep(ms, stopTimer.signal).then(
      (elapsed) => {
        if (elapsed) controller.abort(makeError());
      },
      () => controller.abort(makeError()),
    );
  }
  return {
    signal: controller.signal,
    dispose: () => {
      stopTimer.abort();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
