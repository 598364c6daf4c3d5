/**
 * Polls `condition` every `intervalMs` until it holds or `timeoutMs` has passed, measured on the
 * monotonic clock (tests may shift `Date.now`), and resolves whether it held. For waits whose
 * timeout is not itself a failure; {@link waitFor} throws instead.
 */
export async function pollUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls `condition` every `intervalMs` until it holds; throws `timed out waiting for <what>` after
 * `timeoutMs`, measured on the monotonic clock (tests may shift `Date.now`).
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000, what = 'condition', intervalMs = 20): Promise<void> {
  if (!(await pollUntil(condition, timeoutMs, intervalMs))) throw new Error(`timed out waiting for ${what}`);
}
