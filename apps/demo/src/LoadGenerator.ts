/** The demo's load: user records at a steady rate through a KPL-aggregating producer. */
import type { Producer, PutResult } from '@shardline/producer';

/** Puts records `<id> <padding>` of `recordBytes` at `recordsPerSecond`; remembers where each landed. */
export class LoadGenerator {
  /** Acknowledged records by id. */
  readonly results = new Map<string, PutResult>();
  /** Failed records by id, with the error's name. */
  readonly failures = new Map<string, string>();
  startedAt = 0;
  /** `Date.now()` of the last acknowledgement. */
  lastAckAt = 0;
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;

  constructor(
    private readonly producer: Producer,
    private readonly recordsPerSecond: number,
    private readonly recordBytes: number,
    /** Stop after this many records (undefined: until {@link stop}). */
    private readonly limit: number | undefined,
    private readonly prefix = 'r',
  ) {}

  get produced(): number {
    return this.sent;
  }

  /** True once `limit` records have been put. */
  get exhausted(): boolean {
    return this.limit !== undefined && this.sent >= this.limit;
  }

  start(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), 20);
  }

  /** Stops producing, closes the producer (writing everything accepted) and waits for every result. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.producer.close();
    await Promise.allSettled([...this.pending]);
  }

  /** Stops on the way out (Ctrl-C, a failure): records not written within a second fail. */
  async abandon(): Promise<void> {
    clearInterval(this.timer);
    await this.producer.close({ timeoutMs: 1_000 }).catch(() => undefined);
  }

  private tick(): void {
    const due = Math.min(Math.floor(((Date.now() - this.startedAt) * this.recordsPerSecond) / 1000), this.limit ?? Infinity);
    while (this.sent < due) {
      const id = `${this.prefix}${String(this.sent++).padStart(7, '0')}`;
      const data = Buffer.alloc(Math.max(this.recordBytes, id.length + 1), 0x2e);
      data.write(`${id} `, 'latin1');
      const put = this.producer.put(data, id).then(
        (result) => {
          this.results.set(id, result);
          this.lastAckAt = Date.now();
        },
        (error: unknown) => void this.failures.set(id, error instanceof Error ? error.name : String(error)),
      );
      this.pending.add(put);
      void put.finally(() => this.pending.delete(put));
    }
    if (this.exhausted) clearInterval(this.timer);
  }
}
