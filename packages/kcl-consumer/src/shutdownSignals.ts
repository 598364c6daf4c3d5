/** Something that can be stopped gracefully. @public */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Options of {@link handleShutdownSignals}. @public */
export interface ShutdownSignalsOptions {
  /** Signals that start a graceful stop. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called with the signal's name when the stop begins, e.g. to log it. */
  readonly onSignal?: (signal: NodeJS.Signals) => void;
}

/**
 * Opt-in: the first SIGTERM/SIGINT stops `target` gracefully (processors checkpoint, leases are
 * released); a second one, while that stop runs, restores Node's default and re-raises the signal,
 * so the process exits at once. Once the stop is done the listeners are removed, and the process
 * exits by itself when nothing else keeps it alive. Returns a function that removes the listeners.
 * @public
 */
export function handleShutdownSignals(target: Stoppable, options: ShutdownSignalsOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  const remove = (): void => {
    for (const s of signals) process.removeListener(s, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (stopping) {
      remove();
      process.kill(process.pid, signal);
      return;
    }
    stopping = true;
    options.onSignal?.(signal);
    target.stop().then(remove, (error: unknown) => {
      remove();
      // A stop that failed leaves the process in no known state: fail as loudly as an uncaught error.
      process.nextTick(() => {
        throw error;
      });
    });
  }
  for (const s of signals) process.on(s, onSignal);
  return remove;
}
