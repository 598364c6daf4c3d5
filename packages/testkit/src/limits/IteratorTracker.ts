/** Where a shard iterator reads: the front learns it from GetShardIterator and GetRecords answers. */
export interface IteratorTarget {
  readonly streamName: string;
  readonly shardId: string;
}

/** Kinesis iterators expire after 5 minutes; an older one is of no use to anyone. */
const ITERATOR_LIFETIME_MS = 300_000;
const MAX_ITERATORS = 200_000;

/**
 * Shard iterators handed out through the front, so that a GetRecords call can be charged to its
 * shard without decoding the emulator's opaque (encrypted) iterator. Bounded: entries older than an
 * iterator's lifetime go, and at most {@link MAX_ITERATORS} are kept.
 */
export class IteratorTracker {
  private readonly iterators = new Map<string, { target: IteratorTarget; at: number }>();

  remember(iterator: unknown, target: IteratorTarget, nowMs: number): void {
    if (typeof iterator !== 'string') return;
    this.iterators.delete(iterator);
    this.iterators.set(iterator, { target, at: nowMs });
    for (const [key, entry] of this.iterators) {
      if (this.iterators.size <= MAX_ITERATORS && nowMs - entry.at < ITERATOR_LIFETIME_MS) break;
      this.iterators.delete(key);
    }
  }

  find(iterator: unknown): IteratorTarget | undefined {
    return typeof iterator === 'string' ? this.iterators.get(iterator)?.target : undefined;
  }
}
