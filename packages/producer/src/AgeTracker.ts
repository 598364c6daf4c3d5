/** Records accepted within one time slice. @internal */
export interface AgeBucket {
  readonly startMs: number;
  count: number;
}

/**
 * Answers "how old is the oldest unsettled record" in O(1) per record, without keeping settled
 * records reachable: records are counted in time slices of `resolutionMs`; the oldest non-empty
 * slice gives the age (an over-estimate by less than one slice).
 * @internal
 */
export class AgeTracker {
  private buckets: AgeBucket[] = [];
  private head = 0;

  constructor(private readonly resolutionMs = 10) {}

  /** Counts a record accepted at `nowMs`; keep the bucket to {@link remove} it later. */
  add(nowMs: number): AgeBucket {
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && nowMs - last.startMs < this.resolutionMs) {
      last.count++;
      return last;
    }
    this.trim();
    const bucket: AgeBucket = { startMs: nowMs, count: 1 };
    this.buckets.push(bucket);
    return bucket;
  }

  remove(bucket: AgeBucket): void {
    bucket.count--;
  }

  /** Accept time of the oldest unsettled record (to `resolutionMs`), or undefined. */
  oldestMs(): number | undefined {
    this.trim();
    return this.buckets[this.head]?.startMs;
  }

  private trim(): void {
    const b = this.buckets;
    while (this.head < b.length && b[this.head]!.count === 0) this.head++;
    if (this.head > 1024 && this.head * 2 > b.length) {
      this.buckets = b.slice(this.head);
      this.head = 0;
    }
  }
}
