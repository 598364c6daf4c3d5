/** Anything held with a deadline after which it must not wait any longer. @internal */
export interface Expiring {
  /** Monotonic ms. */
  readonly expiresAt: number;
}

/**
 * Records (or aggregates) waiting outside the shard queues for one reason, named by the owner
 * (`waitingForFirstMap`, `waitingForFreshMap`, `waitingForShardRange`). Kept in arrival order, so
 * that ordered mode routes them again in the order they came.
 * @internal
 */
export class HoldingArea<T extends Expiring> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns everything held, oldest first. */
  takeAll(): T[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  /**
   * Hands items whose `expiresAt` has come to `due`, oldest first, and returns the earliest expiry
   * of those kept (Infinity when none). `due` may add items: they go after the kept ones.
   */
  releaseExpired(nowMs: number, due: (item: T) => void): number {
    if (this.items.length === 0) return Infinity;
    const items = this.items;
    this.items = [];
    const keep: T[] = [];
    let next = Infinity;
    for (const item of items) {
      if (item.expiresAt <= nowMs) due(item);
      else {
        keep.push(item);
        if (item.expiresAt < next) next = item.expiresAt;
      }
    }
    this.items = this.items.length === 0 ? keep : keep.concat(this.items);
    for (const item of this.items) if (item.expiresAt < next) next = item.expiresAt;
    return next;
  }
}
