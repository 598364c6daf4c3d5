/**
 * Runs an async task one at a time. A call while a run is in progress does not start a second
 * run beside it: every such call shares the single run that starts when the current one ends,
 * which sees everything that changed meanwhile. Saves of positions use it so that writes never
 * overlap and a burst of saves costs at most two writes.
 * @internal
 */
export class CoalescedTask {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly task: () => Promise<void>) {}

  /** Resolves when a run that started after this call has finished; rejects with its error. */
  run(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined;
          return this.run();
        });
      return this.queued;
    }
    this.running = this.task().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves when no run is in progress or queued (never rejects). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)!.catch(() => undefined);
  }
}
