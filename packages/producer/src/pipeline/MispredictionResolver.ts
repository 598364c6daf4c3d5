import { type Logger, rangeContains, ShutdownError } from '@shardline/core';
import type { PendingRecord } from '../PendingRecord';
import type { ProducerMetrics } from '../producerMetrics';
import type { ShardMapCache } from '../ShardMapCache';
import type { RecordRoute } from './Admission';
import type { PutRecordsCall } from './Dispatcher';
import { HoldingArea } from './HoldingArea';
import type { PendingRetries } from './RetryScheduler';
import type { Settlement } from './Settlement';
import type { OutboundRecord, ShardQueue } from './ShardQueue';

/** The KPL's error code for a user record that landed on a shard not owning its hash key. */
export const WRONG_SHARD = 'Wrong Shard';

/** An aggregate that landed on a shard other than predicted, whose range no map load has told yet. @internal */
export interface UnresolvedLanding {
  readonly aggregate: OutboundRecord;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The call's start and end, monotonic ms. */
  readonly start: number;
  readonly end: number;
  /** Earliest expiry of its user records: it is decided with what is known by then. */
  readonly expiresAt: number;
}

/** @internal */
export interface MispredictionResolverDeps {
  readonly ordered: boolean;
  readonly cache: ShardMapCache;
  readonly logger: Logger;
  readonly metrics: ProducerMetrics;
  readonly settlement: Settlement;
  readonly router: RecordRoute;
  readonly scheduler: { activate(queue: ShardQueue): void; wakeAt(atMs: number): void };
  /** The backoff the retry policy gives a record now failing with `Wrong Shard`. */
  readonly backoffMs: (record: PendingRecord) => number;
  /** A loaded map waits to be installed. */
  readonly mapPending: () => boolean;
  readonly hardClosed: () => boolean;
}

/**
 * Misprediction resolution: an aggregate built for a predicted shard that Kinesis wrote elsewhere
 * (its map was stale, e.g. after a split). Each of its user records whose hash key the shard owns
 * is written; the others fail the attempt with `Wrong Shard` and are retried once the shard map is
 * fresh. When the shard's range is unknown, the aggregate waits in `waitingForShardRange` for the
 * next map; records to retry after a map newer than the one they were predicted with wait in
 * `waitingForFreshMap`.
 * @internal
 */
export class MispredictionResolver {
  readonly waitingForShardRange = new HoldingArea<UnresolvedLanding>();
  readonly waitingForFreshMap = new HoldingArea<PendingRecord>();

  constructor(private readonly deps: MispredictionResolverDeps) {}

  /** A result shows the map used for `mapVersion` is stale: refresh unless a newer one is already here. */
  staleMap(mapVersion: number): void {
    if (this.deps.cache.version <= mapVersion) this.deps.cache.refresh();
  }

  /** An aggregate of `call` was written to `shardId`, not the predicted shard. */
  landedElsewhere(aggregate: OutboundRecord, shardId: string, sequenceNumber: string, call: PutRecordsCall, end: number, retries: PendingRetries): void {
    const { cache } = this.deps;
    this.staleMap(call.mapVersion);
    let expiresAt = Infinity;
    for (const r of aggregate.record.userRecords) expiresAt = Math.min(expiresAt, r.expiresAt);
    const landing: UnresolvedLanding = { aggregate, shardId, sequenceNumber, start: call.start, end, expiresAt };
    if (cache.rangeOf(shardId) === undefined) {
      // A shard no load has listed (a new child): decide once a refreshed map tells its range. Ask
      // for that map even if one newer than the call's is here: it predates the shard too.
      cache.refresh();
      this.waitingForShardRange.add(landing);
      this.deps.scheduler.wakeAt(expiresAt);
      if (this.deps.ordered) aggregate.queue.waitForNewMap();
      return;
    }
    this.resolve(landing, end, call.mapVersion, retries);
  }

  /**
   * Settles the user records of an aggregate that landed on a shard other than predicted: those
   * whose hash key the shard owns are written; the others are retried with error `Wrong Shard`
   * (the KPL's rule) once the shard map is fresh. Without `retries` they are routed at once.
   */
  resolve(landing: UnresolvedLanding, now: number, mapVersion: number, retries?: PendingRetries): void {
    const { settlement, metrics } = this.deps;
    const kinesisRecord = landing.aggregate.record;
    const range = this.deps.cache.rangeOf(landing.shardId);
    const routedBy = BigInt(kinesisRecord.explicitHashKey!);
    const wrong: PendingRecord[] = [];
    const users = kinesisRecord.userRecords;
    for (let j = 0; j < users.length; j++) {
      const r = users[j]!;
      if (r.settled) continue;
      const h = r.hashKey();
      // Without the range, only a hash equal to the routing key is known to be inside.
      if (range ? rangeContains(range, h) : h === routedBy) settlement.succeed(r, landing.shardId, landing.sequenceNumber, j, true, landing.start, landing.end);
      else {
        r.addFailedAttempt(landing.start, landing.end, WRONG_SHARD, `landed in an aggregate on ${landing.shardId}, which does not own its hash key`);
        const firstFailure = !r.failedOnce;
        r.failedOnce = true;
        if (this.deps.hardClosed()) settlement.fail(r, new ShutdownError('producer closed before the record was written'));
        else if (now >= r.expiresAt) settlement.expire(r, now);
        else wrong.push(r);
        if (firstFailure) metrics.records.add(1, { outcome: 'failed' });
        metrics.mispredictions.add(1);
      }
    }
    if (wrong.length === 0) return;
    this.retryWrong(wrong, landing, now, mapVersion, retries);
  }

  /** Removes and returns the user records of every aggregate waiting for its shard's range. */
  takeUnresolved(): PendingRecord[] {
    const held: PendingRecord[] = [];
    for (const landing of this.waitingForShardRange.takeAll()) for (const r of landing.aggregate.record.userRecords) held.push(r);
    return held;
  }

  private retryWrong(wrong: PendingRecord[], landing: UnresolvedLanding, now: number, mapVersion: number, retries: PendingRetries | undefined): void {
    const { metrics, logger, router, cache } = this.deps;
    const q = landing.aggregate.queue;
    metrics.userRecordsRetried.add(wrong.length, { error_code: WRONG_SHARD });
    logger.debug({ shardId: landing.shardId, predicted: q.shardId, records: wrong.length }, 'mispredicted records; retrying after a shard map refresh');
    if (this.deps.ordered) {
      if (q.retired) for (const r of wrong) router.route(r, now, now);
      else {
        q.requeueFront(wrong, now);
        if (cache.version <= mapVersion || this.deps.mapPending()) q.waitForNewMap();
        this.deps.scheduler.activate(q);
      }
      this.staleMap(mapVersion);
      return;
    }
    if (cache.version > mapVersion && !this.deps.mapPending()) {
      for (const r of wrong) {
        if (retries) retries.add(q, r, this.deps.backoffMs(r));
        else router.route(r, now, now);
      }
    } else {
      for (const r of wrong) this.waitingForFreshMap.add(r);
      this.staleMap(mapVersion);
    }
  }
}
