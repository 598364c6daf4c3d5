import type { PendingRecord } from '../PendingRecord';
import type { RecordRoute } from './Admission';
import type { ShardQueue } from './ShardQueue';

/** Records of one queue to retry, and the backoff chosen for the one with the most attempts. */
interface QueueRetries {
  readonly records: PendingRecord[];
  mostAttempts: number;
  backoffMs: number;
}

/**
 * The retries one PutRecords completion produced, by the queue their records came from. Each
 * record comes with the backoff the retry policy chose for it; a group backs off as long as its
 * record with the most attempts was told to.
 * @internal
 */
export class PendingRetries {
  readonly byQueue = new Map<ShardQueue, QueueRetries>();
  private mostAttempts = 0;
  private backoffMs = 0;

  get size(): number {
    return this.byQueue.size;
  }

  add(queue: ShardQueue, record: PendingRecord, backoffMs: number): void {
    const attempts = record.attempts?.length ?? 1;
    let group = this.byQueue.get(queue);
    if (group === undefined) this.byQueue.set(queue, (group = { records: [], mostAttempts: 0, backoffMs: 0 }));
    group.records.push(record);
    if (attempts > group.mostAttempts) {
      group.mostAttempts = attempts;
      group.backoffMs = backoffMs;
    }
    if (attempts > this.mostAttempts) {
      this.mostAttempts = attempts;
      this.backoffMs = backoffMs;
    }
  }

  /** The backoff of the whole completion (unordered mode retries it as one group). */
  get groupBackoffMs(): number {
    return this.backoffMs;
  }
}

/** A group of records backing off until `at`. */
interface BackoffGroup {
  readonly at: number;
  readonly records: PendingRecord[];
}

/** @internal */
export interface RetrySchedulerDeps {
  readonly ordered: boolean;
  readonly maxBufferedTimeMs: number;
  readonly router: RecordRoute;
  readonly scheduler: { activate(queue: ShardQueue): void; wakeAt(atMs: number): void };
}

/**
 * Retry scheduling. Unordered: the records of one completion back off together
 * (`waitingForBackoff`, sorted by due time), then are routed again — to the shard the current
 * map predicts. Ordered: they go back to the head of their shard's queue, which holds until the
 * backoff ends, so that nothing behind them overtakes them.
 * @internal
 */
export class RetryScheduler {
  /** Records backing off, by due time. */
  private waitingForBackoff: BackoffGroup[] = [];

  constructor(private readonly deps: RetrySchedulerDeps) {}

  schedule(retries: PendingRetries, now: number): void {
    if (retries.size === 0) return;
    const { router, scheduler } = this.deps;
    if (this.deps.ordered) {
      for (const [q, group] of retries.byQueue) {
        if (q.retired) {
          for (const r of group.records) router.route(r, now, now);
          continue;
        }
        q.requeueFront(group.records, now);
        q.holdUntil(now + group.backoffMs);
        scheduler.activate(q);
      }
      return;
    }
    const records: PendingRecord[] = [];
    let expires = Infinity;
    for (const group of retries.byQueue.values()) {
      for (const r of group.records) {
        records.push(r);
        expires = Math.min(expires, r.expiresAt);
      }
    }
    const at = Math.min(now + retries.groupBackoffMs, expires);
    const groups = this.waitingForBackoff;
    let i = groups.length;
    while (i > 0 && groups[i - 1]!.at > at) i--;
    groups.splice(i, 0, { at, records });
    scheduler.wakeAt(at);
  }

  /** Routes the records whose backoff ended (expiring those past their TTL); returns when the next group is due. */
  releaseDue(now: number, expire: (record: PendingRecord) => void): number {
    const groups = this.waitingForBackoff;
    let i = 0;
    while (i < groups.length && groups[i]!.at <= now) {
      for (const r of groups[i]!.records) {
        if (r.settled) continue;
        if (r.expiresAt <= now) expire(r);
        else this.deps.router.route(r, now, now + this.deps.maxBufferedTimeMs / 2);
      }
      i++;
    }
    if (i > 0) this.waitingForBackoff = groups.slice(i);
    return this.waitingForBackoff[0]?.at ?? Infinity;
  }

  /** Removes and returns every record backing off. */
  takeAll(): PendingRecord[] {
    const held: PendingRecord[] = [];
    for (const g of this.waitingForBackoff) for (const r of g.records) held.push(r);
    this.waitingForBackoff = [];
    return held;
  }
}
