/**
 * Polls `probe` every 100 ms until it returns a value other than `undefined` or `false`, or
 * `timeoutMs` has passed (then `undefined`: a timeout is a finding, not an error). `sleep` is the
 * run's, which rejects when the run is interrupted.
 */
export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, sleep: (ms: number) => Promise<void>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(100);
  }
}
