import { type Clock, classifyAwsError, type HashKeyRange, type Logger, type ShardlineError, TimeoutError } from '@shardline/core';
import type { ShardMap } from '@shardline/kpl-aggregation';
import { raceWithSignal, timeoutController } from './raceWithSignal';
import type { ShardMapSource } from './ShardMapSource';

/** What the cache tells its owner. */
export interface ShardMapCacheListener {
  /** A load succeeded; `version` grows by one per successful load, even if nothing changed. */
  mapLoaded(map: ShardMap, version: number): void;
  /** A load failed; call {@link ShardMapCache.refresh} again to retry (it waits for the backoff). */
  loadFailed(error: ShardlineError, consecutiveFailures: number): void;
}

/** Options of {@link ShardMapCache}. */
export interface ShardMapCacheOptions {
  readonly source: ShardMapSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly listener: ShardMapCacheListener;
  /** A load that takes longer fails with TimeoutError. */
  readonly loadTimeoutMs: number;
  /** Least time between two successful loads, so that a storm of mispredictions costs one ListShards. Default 1,000. */
  readonly minRefreshIntervalMs?: number;
  /** How long the range of a shard no longer listed stays known (for results that name it). Default 300,000. */
  readonly closedShardTtlMs?: number;
}

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * The producer's view of the stream's shards: the current {@link ShardMap}, a version that grows
 * with each load, and the hash-key ranges of every shard seen recently (closed ones included), so
 * that a PutRecords result naming a shard that has just closed can still be checked.
 *
 * Refreshes are single-flight and reactive, as the KPL's: callers ask with {@link refresh}. After a
 * failed load the next one waits for the KPL's backoff (1 s, ×1.5 per failure, at most 30 s);
 * the owner asks again if it still needs a map, so an idle owner holds no timer.
 */
export class ShardMapCache {
  private map: ShardMap | undefined;
  private mapVersion = 0;
  private readonly ranges = new Map<string, { range: HashKeyRange; lastSeen: number }>();
  private wanted = false;
  private running = false;
  private failures = 0;
  private nextAttemptAt = 0;
  private attempts = 0;
  private readonly closed = new AbortController();
  private readonly minInterval: number;
  private readonly closedTtl: number;

  constructor(private readonly options: ShardMapCacheOptions) {
    this.minInterval = options.minRefreshIntervalMs ?? 1_000;
    this.closedTtl = options.closedShardTtlMs ?? 300_000;
  }

  /** The latest map, or undefined before the first successful load. */
  get current(): ShardMap | undefined {
    return this.map;
  }

  /** Successful loads so far; 0 before the first. */
  get version(): number {
    return this.mapVersion;
  }

  /** Load attempts that have finished, successful or not. */
  get attemptsFinished(): number {
    return this.attempts;
  }

  /** The range of a shard listed by any load in the last `closedShardTtlMs`. */
  rangeOf(shardId: string): HashKeyRange | undefined {
    return this.ranges.get(shardId)?.range ?? this.map?.shard(shardId)?.range;
  }

  /** Asks for a fresh map. Returns at once; the listener hears the outcome. */
  refresh(): void {
    if (this.closed.signal.aborted) return;
    this.wanted = true;
    if (!this.running) void this.run();
  }

  /** Stops refreshing and cancels a backoff wait. A load already running is not awaited. */
  close(): void {
    this.closed.abort();
  }

  private async run(): Promise<void> {
    this.running = true;
    const { clock, source, listener } = this.options;
    try {
      while (this.wanted && !this.closed.signal.aborted) {
        const wait = this.nextAttemptAt - clock.monotonicNow();
        if (wait > 0 && !(await clock.sleep(wait, this.closed.signal))) return;
        this.wanted = false;
        const timeout = timeoutController(clock, this.options.loadTimeoutMs, () => new TimeoutError(`ListShards took longer than ${this.options.loadTimeoutMs} ms`), this.closed.signal);
        let map: ShardMap;
        try {
          map = await raceWithSignal(source.load(), timeout.signal);
        } catch (raw) {
          if (this.closed.signal.aborted) return;
          this.attempts++;
          this.failures++;
          const backoff = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * Math.pow(1.5, this.failures - 1));
          this.nextAttemptAt = clock.monotonicNow() + backoff;
          const error = classifyAwsError(raw);
          this.options.logger.warn({ err: error, consecutiveFailures: this.failures, retryInMs: backoff }, 'shard map refresh failed');
          this.notify(() => listener.loadFailed(error, this.failures));
          continue;
        } finally {
          timeout.dispose();
        }
        this.attempts++;
        this.failures = 0;
        this.nextAttemptAt = clock.monotonicNow() + this.minInterval;
        this.install(map);
        this.notify(() => listener.mapLoaded(map, this.mapVersion));
      }
    } finally {
      this.running = false;
    }
  }

  /** A listener that throws must not end the refresh loop, nor become an unhandled rejection. */
  private notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.options.logger.error({ err: error }, 'shard map listener failed');
    }
  }

  private install(map: ShardMap): void {
    const now = this.options.clock.monotonicNow();
    this.map = map;
    this.mapVersion++;
    for (const s of map.shards) this.ranges.set(s.shardId, { range: s.range, lastSeen: now });
    for (const [id, entry] of this.ranges) if (now - entry.lastSeen > this.closedTtl) this.ranges.delete(id);
  }
}
