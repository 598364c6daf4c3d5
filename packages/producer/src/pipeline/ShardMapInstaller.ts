import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock, Logger, ShardlineError } from '@shardline/core';
import type { ShardMap } from '@shardline/kpl-aggregation';
import type { ProducerMetrics } from '../producerMetrics';
import type { ShardMapCache } from '../ShardMapCache';
import type { MispredictionResolver } from './MispredictionResolver';
import type { ShardRouter } from './ShardRouter';

/** @internal */
export interface ShardMapInstallerDeps {
  readonly options: { readonly ordered: boolean; readonly maxBufferedTimeMs: number; readonly shardMapRefreshIntervalMs: number };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProducerMetrics;
  readonly cache: ShardMapCache;
  readonly router: ShardRouter;
  readonly mispredictions: MispredictionResolver;
  /** A client the user gave (checked for SDK retries), if any. */
  readonly userClient: KinesisClient | undefined;
  readonly outstanding: () => number;
  readonly hardClosed: () => boolean;
  readonly schedulePass: () => void;
}

/**
 * Shard-map installation: starts the first load, installs each map the cache loads — in ordered
 * mode only once no shard that disappears has a call in flight, since their failures must be
 * retried ahead of what follows them — and then routes again everything that waited for a map.
 * Also asks for the periodic refresh (`shardMapRefreshIntervalMs`).
 * @internal
 */
export class ShardMapInstaller {
  private pendingMap: ShardMap | undefined;
  private lastLoadAt = -Infinity;
  private firstLoad: { promise: Promise<ShardlineError | undefined>; resolve: (e: ShardlineError | undefined) => void } | undefined;

  constructor(private readonly deps: ShardMapInstallerDeps) {}

  /** A loaded map waits to be installed (ordered mode, calls of leaving shards in flight). */
  get mapPending(): boolean {
    return this.pendingMap !== undefined;
  }

  /** Starts the first load once; resolves with its error, or undefined once a map loaded. */
  firstMapLoad(): Promise<ShardlineError | undefined> {
    if (!this.firstLoad) {
      let resolve!: (e: ShardlineError | undefined) => void;
      const promise = new Promise<ShardlineError | undefined>((r) => (resolve = r));
      this.firstLoad = { promise, resolve };
      this.deps.cache.refresh();
      void this.checkClient();
    }
    return this.firstLoad.promise;
  }

  /** After a call was sent: refresh if the periodic interval ran out. */
  refreshIfDue(now: number): void {
    const interval = this.deps.options.shardMapRefreshIntervalMs;
    if (interval > 0 && now - this.lastLoadAt >= interval) this.deps.cache.refresh();
  }

  mapLoaded(map: ShardMap): void {
    this.deps.metrics.shardMapRefreshes.add(1, { outcome: 'success' });
    this.lastLoadAt = this.deps.clock.monotonicNow();
    this.deps.logger.debug({ shards: map.size, version: this.deps.cache.version }, 'shard map loaded');
    this.firstLoad?.resolve(undefined);
    if (this.deps.hardClosed()) return;
    this.pendingMap = map;
    this.tryInstall();
  }

  loadFailed(error: ShardlineError): void {
    const { deps } = this;
    deps.metrics.shardMapRefreshes.add(1, { outcome: 'failure' });
    this.firstLoad?.resolve(error);
    // Keep trying (the cache backs off) only while records could use a map: an idle producer holds no timer.
    if (deps.outstanding() > 0 && !deps.hardClosed()) deps.cache.refresh();
    const waiting = deps.router.waitingForFirstMap;
    if (deps.router.map === undefined && waiting.size > 0) {
      // No prediction possible: send unaggregated (the KPL's fallback) rather than hold records.
      const now = deps.clock.monotonicNow();
      for (const r of waiting.takeAll()) deps.router.route(r, now, r.arrivalMs + deps.options.maxBufferedTimeMs);
      deps.schedulePass();
    }
  }

  /** Installs the loaded map unless (ordered mode) a shard that disappears still has a call in flight. */
  tryInstall(): void {
    const map = this.pendingMap;
    if (map === undefined) return;
    if (this.deps.options.ordered) {
      let busy = false;
      for (const q of this.deps.router.queuesLeaving(map)) {
        q.waitForNewMap();
        if (q.hasCallsInFlight) busy = true;
      }
      if (busy) return;
    }
    this.pendingMap = undefined;
    this.install(map);
  }

  private install(map: ShardMap): void {
    const { router, mispredictions, clock, options } = this.deps;
    const now = clock.monotonicNow();
    const unresolved = mispredictions.waitingForShardRange.takeAll();
    // Ordered: decide before re-routing, so that retries stay ahead of their queue's later records.
    if (options.ordered) for (const landing of unresolved) mispredictions.resolve(landing, now, router.mapVersion);
    const previous = router.map;
    const orphans = router.install(map, this.deps.cache.version);
    if (previous && orphans.length > 0) this.deps.logger.info({ shards: map.size, rerouted: orphans.length }, 'shard map changed; re-routing buffered records');
    for (const r of orphans) router.route(r, now, now);
    if (!options.ordered) for (const landing of unresolved) mispredictions.resolve(landing, now, router.mapVersion - 1);
    for (const r of mispredictions.waitingForFreshMap.takeAll()) router.route(r, now, now + options.maxBufferedTimeMs / 2);
    for (const r of router.waitingForFirstMap.takeAll()) router.route(r, now, r.arrivalMs + options.maxBufferedTimeMs);
    this.deps.schedulePass();
  }

  /** SDK retries would hide attempts from the producer and multiply them; warn about a client that has them on. */
  private async checkClient(): Promise<void> {
    const client = this.deps.userClient;
    if (!client) return;
    try {
      const provider = (client.config as { maxAttempts?: () => Promise<number> }).maxAttempts;
      const attempts = typeof provider === 'function' ? await provider() : undefined;
      if (attempts !== undefined && attempts > 1) {
        this.deps.logger.warn({ maxAttempts: attempts }, 'the Kinesis client retries by itself (maxAttempts > 1): each producer attempt may hide several calls; create it with maxAttempts: 1');
      }
    } catch {
      // Only a diagnostic: a client without this config is fine.
    }
  }
}
