import type { Clock } from '@shardline/core';
import type { ResolvedAggregatorOptions, ShardMap } from '@shardline/kpl-aggregation';
import type { PendingRecord } from '../PendingRecord';
import { ShardRateLimiter } from '../ShardRateLimiter';
import type { ShardMapCache } from '../ShardMapCache';
import type { RecordRoute } from './Admission';
import { HoldingArea } from './HoldingArea';
import { ShardQueue } from './ShardQueue';

/** Kinesis' per-shard write limits; `rateLimitPercent` scales them. */
const SHARD_RECORDS_PER_SECOND = 1000;
const SHARD_BYTES_PER_SECOND = 1024 * 1024;

/** What the router tells the scheduler. @internal */
export interface QueueScheduler {
  /** `queue` received a record; `ready` when a Kinesis record became ready to collect. */
  queueReceived(queue: ShardQueue, ready: boolean): void;
  /** `queue` holds records again (a retry): list it for the next pass. */
  activate(queue: ShardQueue): void;
  /** A queue left the map: forget it. */
  forget(queue: ShardQueue): void;
  /** Run a pass by `atMs` at the latest. */
  wakeAt(atMs: number): void;
}

/** @internal */
export interface ShardRouterDeps {
  readonly options: {
    readonly aggregator: ResolvedAggregatorOptions;
    readonly rateLimitPercent: number;
    readonly adaptiveRateLimit: boolean;
  };
  readonly clock: Clock;
  readonly cache: ShardMapCache;
  readonly scheduler: QueueScheduler;
  /** Starts loading the first shard map, if that has not started yet. */
  readonly startFirstMapLoad: () => void;
}

/**
 * Routing: predicts each record's shard with the installed shard map and puts it into that shard's
 * queue (created on first use, with the shard's rate limiter). Before the first map load has
 * finished, records wait in `waitingForFirstMap`; once a load has failed (or a record's hash key
 * falls in a hole of the map), they go to the `unpredictable` queue, sent unaggregated (the KPL's
 * fallback).
 * @internal
 */
export class ShardRouter implements RecordRoute {
  private current: ShardMap | undefined;
  private currentVersion = 0;
  private readonly queues = new Map<string, ShardQueue>();
  private queuesByIndex: (ShardQueue | undefined)[] = [];
  /** Records no shard is predicted for: sent one per Kinesis record, without a rate limit. */
  readonly unpredictable: ShardQueue;
  /** Records accepted before any shard map load finished. */
  readonly waitingForFirstMap = new HoldingArea<PendingRecord>();

  // The per-record path reads these: fields, not a walk through `deps`.
  private readonly cache: ShardMapCache;
  private readonly scheduler: QueueScheduler;

  constructor(private readonly deps: ShardRouterDeps) {
    this.cache = deps.cache;
    this.scheduler = deps.scheduler;
    this.unpredictable = new ShardQueue(undefined, { ...deps.options.aggregator, maxAggregateRecords: 1 }, undefined);
  }

  /** The installed shard map. */
  get map(): ShardMap | undefined {
    return this.current;
  }

  /** The shard-map cache's version of the installed map (0 before the first). */
  get mapVersion(): number {
    return this.currentVersion;
  }

  route(record: PendingRecord, now: number, sendBy: number): void {
    const map = this.current;
    let queue: ShardQueue;
    if (map === undefined) {
      if (this.cache.attemptsFinished === 0) {
        // Wait for the first shard map: without it nothing can be aggregated.
        this.waitingForFirstMap.add(record);
        this.deps.startFirstMapLoad();
        this.scheduler.wakeAt(record.expiresAt);
        return;
      }
      queue = this.unpredictable;
      this.cache.refresh();
    } else {
      const index = map.indexForRecord(record.partitionKey, record.explicitHashKey);
      queue = index < 0 ? this.unpredictable : (this.queuesByIndex[index] ?? this.createQueue(map.shards[index]!.shardId, index));
    }
    this.scheduler.queueReceived(queue, queue.add(record, sendBy));
  }

  /** Every queue, the unpredictable one last. */
  allQueues(): ShardQueue[] {
    return [...this.queues.values(), this.unpredictable];
  }

  /** The queues of shards `map` does not list (closed or replaced), and the unpredictable queue. */
  queuesLeaving(map: ShardMap): ShardQueue[] {
    const open = new Set(map.shards.map((s) => s.shardId));
    const leaving: ShardQueue[] = [];
    for (const q of this.queues.values()) if (!open.has(q.shardId!)) leaving.push(q);
    leaving.push(this.unpredictable);
    return leaving;
  }

  /**
   * Installs `map` as the one records are predicted with. The queues of shards it does not list
   * are retired; returns their records and the unpredictable queue's, oldest first, to route again.
   */
  install(map: ShardMap, version: number): PendingRecord[] {
    const index = new Map<string, number>();
    map.shards.forEach((s, i) => index.set(s.shardId, i));
    const byIndex = new Array<ShardQueue | undefined>(map.size);
    const orphans: PendingRecord[] = [];
    for (const [id, q] of this.queues) {
      const i = index.get(id);
      if (i !== undefined) {
        byIndex[i] = q;
        continue;
      }
      for (const r of q.takeAll()) orphans.push(r);
      q.retire();
      this.queues.delete(id);
      this.deps.scheduler.forget(q);
    }
    for (const r of this.unpredictable.takeAll()) orphans.push(r);
    this.current = map;
    this.currentVersion = version;
    this.queuesByIndex = byIndex;
    for (const q of this.queues.values()) q.mapInstalled();
    this.unpredictable.mapInstalled();
    return orphans;
  }

  private createQueue(shardId: string, index: number): ShardQueue {
    const options = this.deps.options;
    const limiter = new ShardRateLimiter(
      {
        recordsPerSecond: (SHARD_RECORDS_PER_SECOND * options.rateLimitPercent) / 100,
        bytesPerSecond: (SHARD_BYTES_PER_SECOND * options.rateLimitPercent) / 100,
        adaptive: options.adaptiveRateLimit,
      },
      this.deps.clock.monotonicNow(),
    );
    const queue = new ShardQueue(shardId, options.aggregator, limiter);
    this.queues.set(shardId, queue);
    this.queuesByIndex[index] = queue;
    return queue;
  }
}
