import { ManualClock, MemoryMetrics } from '@shardline/core';
import { resolveAggregatorOptions } from '@shardline/kpl-aggregation';
import { pendingRecord, quiet, RecordingScheduler, settle, settlementKit } from '../../test/stageKit';
import { evenShardMap, SwitchableShardMapSource } from '../../test/scriptedPutter';
import { createProducerMetrics } from '../producerMetrics';
import { ShardMapCache } from '../ShardMapCache';
import { MispredictionResolver } from './MispredictionResolver';
import { ShardMapInstaller } from './ShardMapInstaller';
import { ShardRouter } from './ShardRouter';

function installer(ordered = false) {
  const clock = new ManualClock();
  const memory = new MemoryMetrics();
  const metrics = createProducerMetrics(memory);
  const source = new SwitchableShardMapSource(evenShardMap(2));
  const wired: { stage?: ShardMapInstaller } = {};
  const cache = new ShardMapCache({
    source,
    clock,
    logger: quiet,
    loadTimeoutMs: 1_000,
    listener: { mapLoaded: (map) => wired.stage!.mapLoaded(map), loadFailed: (error) => wired.stage!.loadFailed(error) },
  });
  const scheduler = new RecordingScheduler();
  const router = new ShardRouter({
    options: { aggregator: resolveAggregatorOptions(), rateLimitPercent: 100, adaptiveRateLimit: false },
    clock,
    cache,
    scheduler,
    startFirstMapLoad: () => void wired.stage!.firstMapLoad(),
  });
  const kit = settlementKit();
  const mispredictions = new MispredictionResolver({
    ordered,
    cache,
    logger: quiet,
    metrics,
    settlement: kit.settlement,
    router,
    scheduler,
    backoffMs: () => 0,
    mapPending: () => wired.stage!.mapPending,
    hardClosed: () => false,
  });
  let passes = 0;
  const stage = (wired.stage = new ShardMapInstaller({
    options: { ordered, maxBufferedTimeMs: 100, shardMapRefreshIntervalMs: 0 },
    clock,
    logger: quiet,
    metrics,
    cache,
    router,
    mispredictions,
    userClient: undefined,
    outstanding: () => 1,
    hardClosed: () => false,
    schedulePass: () => passes++,
  }));
  return { stage, cache, router, scheduler, source, memory, clock, passes: () => passes };
}

describe('ShardMapInstaller', () => {
  it('installs the first map and routes what waited for it', async () => {
    const { stage, router, scheduler, memory, cache, passes } = installer();
    router.route(pendingRecord('a'), 0, 100);
    expect(router.waitingForFirstMap.size).toBe(1);
    await expect(stage.firstMapLoad()).resolves.toBeUndefined();
    expect(router.map?.size).toBe(2);
    expect(router.waitingForFirstMap.size).toBe(0);
    expect(scheduler.received.map((r) => r.queue.shardId)).toHaveLength(1);
    expect(memory.value('producer_shard_map_refreshes_total', { outcome: 'success' })).toBe(1);
    expect(passes()).toBeGreaterThan(0);
    cache.close();
  });

  it('sends what waited unaggregated when the first load fails', async () => {
    const { stage, router, scheduler, source, cache } = installer();
    source.fail = new Error('ListShards down');
    router.route(pendingRecord('a'), 0, 100);
    const error = await stage.firstMapLoad();
    expect(String(error)).toMatch(/ListShards down/);
    expect(router.map).toBeUndefined();
    expect(scheduler.received[0]!.queue).toBe(router.unpredictable);
    cache.close();
  });

  it('ordered: installs a new map only once no leaving shard has a call in flight', async () => {
    const { stage, router, source, cache, clock } = installer(true);
    await stage.firstMapLoad();
    const [leaving] = router.queuesLeaving(evenShardMap(1, 'next-'));
    router.route(pendingRecord('a', 'x', { explicitHashKey: '0' }), 0, 100);
    const queue = router.allQueues()[0]!;
    expect(queue).not.toBe(leaving);
    queue.callSent(1);
    source.map = evenShardMap(1, 'next-');
    // The cache waits its minimum refresh interval (1 s) between loads.
    cache.refresh();
    clock.advance(1_000);
    for (let i = 0; i < 5 && !stage.mapPending; i++) await settle();
    expect(stage.mapPending).toBe(true);
    expect(queue.orderedSendableAt()).toBe(Infinity);
    queue.callCompleted();
    stage.tryInstall();
    expect(stage.mapPending).toBe(false);
    expect(router.map?.shards.map((s) => s.shardId)).toEqual(['next-0']);
    cache.close();
  });
});
