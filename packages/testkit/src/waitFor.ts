/**
 * Polls `condition` every `intervalMs` until it holds; throws `timed out waiting for <what>` after
 * `timeoutMs`, measured on the monotonic clock (tests may shift `Date.now`).
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000, what = 'condition', intervalMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
