import { type Clock, type ExtendedSequenceNumber, type Logger, retry } from '@shardline/core';
import { CoalescedTask } from './CoalescedTask';
import type { PositionStore } from './PositionStore';

/** Options of {@link PositionTracker}. @public */
export interface PositionTrackerOptions {
  readonly store: PositionStore;
  readonly namespace: string;
  /** Save after this many handled batches of a shard; 0 = only on the timer and at stop. */
  readonly saveEveryBatches: number;
  /** Also save every this many milliseconds while positions are unsaved; 0 = no timer. */
  readonly saveIntervalMs: number;
  /** Attempts of one save on retryable store errors. */
  readonly maxAttempts: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Keeps the last handled position of every shard and writes them to a {@link PositionStore}:
 * after every `saveEveryBatches` handled batches of a shard, on a timer, on demand (`flush`), and
 * at close. Writes never overlap: saves requested while one is in progress are coalesced into the
 * next single write of everything unsaved. A failed write keeps its positions unsaved.
 * @public
 */
export class PositionTracker {
  private readonly o: PositionTrackerOptions;
  private readonly handledPositions = new Map<string, ExtendedSequenceNumber>();
  private readonly savedPositions = new Map<string, ExtendedSequenceNumber>();
  private unsaved = new Map<string, ExtendedSequenceNumber>();
  private readonly batchesSinceSave = new Map<string, number>();
  private readonly writer = new CoalescedTask(() => this.writeUnsaved());
  private timer: Promise<void> | undefined;
  private readonly timerController = new AbortController();

  constructor(options: PositionTrackerOptions) {
    this.o = options;
  }

  /** The last handled position of each shard (stored or not). */
  get handled(): ReadonlyMap<string, ExtendedSequenceNumber> {
    return this.handledPositions;
  }

  /** The positions known to be in the store. */
  get saved(): ReadonlyMap<string, ExtendedSequenceNumber> {
    return this.savedPositions;
  }

  /** Positions loaded from the store at start count as handled and saved. */
  seed(stored: ReadonlyMap<string, ExtendedSequenceNumber>): void {
    for (const [shardId, p] of stored) {
      this.handledPositions.set(shardId, p);
      this.savedPositions.set(shardId, p);
    }
  }

  /** Records that a batch of `shardId` ending at `position` is handled; saves when one is due. */
  async batchHandled(shardId: string, position: ExtendedSequenceNumber | undefined): Promise<void> {
    if (position) {
      this.handledPositions.set(shardId, position);
      this.unsaved.set(shardId, position);
    }
    const count = (this.batchesSinceSave.get(shardId) ?? 0) + 1;
    this.batchesSinceSave.set(shardId, count);
    if (this.o.saveEveryBatches > 0 && count >= this.o.saveEveryBatches && this.unsaved.has(shardId)) await this.flush();
  }

  /** Writes every unsaved position; resolves when they (or newer ones) are in the store. */
  flush(): Promise<void> {
    return this.writer.run();
  }

  private async writeUnsaved(): Promise<void> {
    if (this.unsaved.size === 0) return;
    const batch = this.unsaved;
    this.unsaved = new Map();
    for (const shardId of batch.keys()) this.batchesSinceSave.set(shardId, 0);
    await this.write(batch);
  }

  private async write(batch: Map<string, ExtendedSequenceNumber>): Promise<void> {
    const { store, namespace, clock, maxAttempts, logger } = this.o;
    try {
      await retry(() => store.save(namespace, batch), {
        clock,
        maxAttempts,
        baseDelayMs: 100,
        maxDelayMs: 2_000,
        onRetry: (error, attempt, delayMs) => logger.warn({ err: error, attempt, delayMs }, 'saving positions failed; retrying'),
      });
      for (const [shardId, p] of batch) this.savedPositions.set(shardId, p);
    } catch (error) {
      // Keep them for the next attempt, unless a newer position of the shard arrived meanwhile.
      for (const [shardId, p] of batch) if (!this.unsaved.has(shardId)) this.unsaved.set(shardId, p);
      throw error;
    }
  }

  /** Starts the save timer (when `saveIntervalMs` > 0); a failed timed save is reported to `onError`. */
  startTimer(onError: (error: unknown) => void): void {
    if (this.o.saveIntervalMs <= 0 || this.timer) return;
    const signal = this.timerController.signal;
    this.timer = (async () => {
      while (await this.o.clock.sleep(this.o.saveIntervalMs, signal)) {
        await this.flush().catch(onError);
      }
    })();
  }

  /** Stops the timer and writes what is unsaved. */
  async close(): Promise<void> {
    this.timerController.abort();
    await this.timer;
    await this.flush();
  }
}
