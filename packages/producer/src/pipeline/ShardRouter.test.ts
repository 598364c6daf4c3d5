import { ManualClock } from '@shardline/core';
import { resolveAggregatorOptions } from '@shardline/kpl-aggregation';
import { pendingRecord, quiet, RecordingScheduler, settle } from '../../test/stageKit';
import { evenShardMap, SwitchableShardMapSource } from '../../test/scriptedPutter';
import { ShardMapCache } from '../ShardMapCache';
import { ShardRouter } from './ShardRouter';

function router() {
  const clock = new ManualClock();
  const source = new SwitchableShardMapSource(evenShardMap(2));
  const loads: string[] = [];
  const cache = new ShardMapCache({ source, clock, logger: quiet, loadTimeoutMs: 1_000, listener: { mapLoaded: () => loads.push('loaded'), loadFailed: () => loads.push('failed') } });
  const scheduler = new RecordingScheduler();
  let firstLoads = 0;
  const stage = new ShardRouter({
    options: { aggregator: resolveAggregatorOptions(), rateLimitPercent: 150, adaptiveRateLimit: true },
    clock,
    cache,
    scheduler,
    startFirstMapLoad: () => {
      firstLoads++;
      cache.refresh();
    },
  });
  return { stage, cache, scheduler, source, loads, firstLoads: () => firstLoads };
}

describe('ShardRouter', () => {
  it('holds records in waitingForFirstMap until a map load has finished, and starts that load', () => {
    const { stage, scheduler, firstLoads } = router();
    const r = pendingRecord('k', 'x', { ttlMs: 500 });
    stage.route(r, 0, 100);
    expect(stage.waitingForFirstMap.size).toBe(1);
    expect(firstLoads()).toBe(1);
    expect(scheduler.wakes).toEqual([500]);
    expect(scheduler.received).toEqual([]);
  });

  it('routes by the installed map into one queue per predicted shard, each with a rate limiter', () => {
    const { stage, scheduler } = router();
    const map = evenShardMap(2);
    expect(stage.install(map, 1)).toEqual([]);
    expect(stage.mapVersion).toBe(1);
    for (let i = 0; i < 20; i++) stage.route(pendingRecord(`key-${i}`), 0, 100);
    const byShard = new Map<string, number>();
    for (const { queue } of scheduler.received) byShard.set(queue.shardId!, (byShard.get(queue.shardId!) ?? 0) + 1);
    expect([...byShard.keys()].sort()).toEqual(['shardId-0', 'shardId-1']);
    for (const { queue } of scheduler.received) expect(queue.limiter).toBeDefined();
    const r = pendingRecord('any', 'x', { explicitHashKey: '0' });
    stage.route(r, 0, 100);
    expect(scheduler.received.at(-1)!.queue.shardId).toBe('shardId-0');
  });

  it('sends to the unpredictable queue once a load failed without a map', async () => {
    const { stage, cache, source, scheduler } = router();
    source.fail = new Error('ListShards down');
    cache.refresh();
    await settle();
    stage.route(pendingRecord(), 0, 100);
    expect(scheduler.received[0]!.queue).toBe(stage.unpredictable);
    expect(stage.unpredictable.limiter).toBeUndefined();
    cache.close();
  });

  it('retires the queues of shards a new map does not list and hands back their records', () => {
    const { stage, scheduler } = router();
    stage.install(evenShardMap(2), 1);
    stage.route(pendingRecord('a', 'x', { explicitHashKey: '0' }), 0, 100);
    const old = scheduler.received[0]!.queue;
    const next = evenShardMap(2, 'child-');
    expect(stage.queuesLeaving(next)).toEqual([old, stage.unpredictable]);
    const orphans = stage.install(next, 2);
    expect(orphans.map((r) => r.partitionKey)).toEqual(['a']);
    expect(old.retired).toBe(true);
    expect(scheduler.forgotten).toEqual([old]);
    stage.route(orphans[0]!, 0, 0);
    expect(scheduler.received.at(-1)!.queue.shardId).toBe('child-0');
  });
});
