/** The chaos run's load: user records at a steady rate through a KPL-aggregating producer. */
import type { Producer, PutResult } from '@shardline/producer';

/** Puts `rec-<n>` records at a steady rate until stopped; remembers where each landed. */
export class SteadyProducer {
  readonly results = new Map<string, PutResult>();
  readonly failures = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  private startedAt = 0;

  constructor(
    private readonly producer: Producer,
    private readonly recordsPerSecond: number,
  ) {}

  get produced(): number {
    return this.sent;
  }

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.tick(), 20);
  }

  /** Stops producing, closes the producer (writing everything accepted) and waits for every result. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.producer.close();
    await Promise.allSettled([...this.pending]);
  }

  /** Stops at once on the failure path: unsettled records fail, nothing waits. */
  async abandon(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.producer.close({ timeoutMs: 0 }).catch(() => undefined);
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * this.recordsPerSecond) / 1000);
    while (this.sent < due) {
      const id = `rec-${String(this.sent++).padStart(7, '0')}`;
      const put = this.producer.put(id, `pk-${id}`).then(
        (result) => void this.results.set(id, result),
        (error: unknown) => void this.failures.set(id, error instanceof Error ? error.name : String(error)),
      );
      this.pending.add(put);
      void put.finally(() => this.pending.delete(put));
    }
  }
}
