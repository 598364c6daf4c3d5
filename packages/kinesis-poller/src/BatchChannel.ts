import { InvalidArgumentError } from '@shardline/core';
import type { ShardBatch } from './ShardBatch';

interface Item {
  readonly batch: ShardBatch;
  /** Tells the shard's loop whether the consumer handled the batch. */
  readonly settle: (handled: boolean) => void;
}

/** What a {@link BatchChannel} asks of its owner. @internal */
export interface BatchChannelOwner {
  /** Resolves when the poller has stopped and saved; rejects with the poller's failure. */
  readonly completion: () => Promise<void>;
  /** Records and saves a batch the consumer finished after the poller stopped. */
  readonly lateHandled: (batch: ShardBatch) => Promise<void>;
  /** Stops the poller (the consumer left the loop). */
  readonly stop: () => Promise<void>;
}

/**
 * Turns the batches of many shard loops into one async iterator with the handler semantics: a
 * batch counts as handled when the consumer asks for the next one. Each shard loop waits on
 * `push()` for that, which is the per-shard backpressure. Leaving the loop (`break`, `throw`)
 * does not count the batch in hand as handled: it will be delivered again after a restart.
 * @internal
 */
export class BatchChannel implements AsyncIterator<ShardBatch> {
  private readonly items: Item[] = [];
  private held: Item | undefined;
  private heldWhenClosed: ShardBatch | undefined;
  private waiter: (() => void) | undefined;
  private closed = false;
  private pending = false;

  constructor(private readonly owner: BatchChannelOwner) {}

  /** Offers a batch; resolves true once handled, false when it was dropped at close. */
  push(batch: ShardBatch): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((settle) => {
      this.items.push({ batch, settle });
      this.wake();
    });
  }

  /** Releases every shard loop: batches not handled yet count as not handled. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.held) {
      this.heldWhenClosed = this.held.batch;
      this.held.settle(false);
      this.held = undefined;
    }
    for (const item of this.items.splice(0)) item.settle(false);
    this.wake();
  }

  async next(): Promise<IteratorResult<ShardBatch>> {
    if (this.pending) throw new InvalidArgumentError('Poller: next() called while another next() is pending');
    this.pending = true;
    try {
      if (this.held) {
        this.held.settle(true);
        this.held = undefined;
      }
      while (!this.closed && this.items.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
      const item = this.items.shift();
      if (item) {
        this.held = item;
        return { done: false, value: item.batch };
      }
      const late = this.heldWhenClosed;
      this.heldWhenClosed = undefined;
      try {
        await this.owner.completion();
      } finally {
        if (late) await this.owner.lateHandled(late);
      }
      return { done: true, value: undefined };
    } finally {
      this.pending = false;
    }
  }

  async return(): Promise<IteratorResult<ShardBatch>> {
    this.heldWhenClosed = undefined;
    if (this.held) {
      this.held.settle(false);
      this.held = undefined;
    }
    await this.owner.stop();
    this.heldWhenClosed = undefined;
    await this.owner.completion().catch(() => undefined);
    return { done: true, value: undefined };
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
