import { ShutdownError } from '@shardline/core';
import { accepted, outcome, pendingRecord, quiet, RecordingScheduler, settle, settlementKit, shardQueue } from '../../test/stageKit';
import { evenShardMap, SwitchableShardMapSource } from '../../test/scriptedPutter';
import { ShardMapCache } from '../ShardMapCache';
import type { PutRecordsCall } from './Dispatcher';
import { MispredictionResolver, WRONG_SHARD } from './MispredictionResolver';
import { PendingRetries } from './RetryScheduler';

const HIGH = (2n ** 127n + 5n).toString(); // owned by shardId-1 of an even 2-shard map

async function resolver(options: { ordered?: boolean; hardClosed?: boolean } = {}) {
  const kit = settlementKit();
  const source = new SwitchableShardMapSource(evenShardMap(2));
  const cache = new ShardMapCache({ source, clock: kit.clock, logger: quiet, loadTimeoutMs: 1_000, listener: { mapLoaded: () => undefined, loadFailed: () => undefined } });
  cache.refresh();
  await settle();
  const routed: string[] = [];
  const scheduler = new RecordingScheduler();
  const stage = new MispredictionResolver({
    ordered: options.ordered ?? false,
    cache,
    logger: quiet,
    metrics: kit.metrics,
    settlement: kit.settlement,
    router: { route: (r) => routed.push(r.partitionKey) },
    scheduler,
    backoffMs: () => 25,
    mapPending: () => false,
    hardClosed: () => options.hardClosed ?? false,
  });
  // One aggregate built for shardId-0 holding a record of each shard.
  const q = shardQueue('shardId-0');
  const low = pendingRecord('low', 'x', { explicitHashKey: '0' });
  const high = pendingRecord('high', 'x', { explicitHashKey: HIGH });
  const puts = { low: outcome(accepted(kit, low)), high: outcome(accepted(kit, high)) };
  q.add(low, 100);
  q.add(high, 100);
  q.flushOpen();
  const aggregate = q.shiftReady()!;
  const call = (mapVersion: number): PutRecordsCall => ({ entries: [aggregate], queues: [q], start: 10, mapVersion });
  return { stage, kit, cache, routed, scheduler, q, low, high, puts, aggregate, call };
}

describe('MispredictionResolver', () => {
  it('writes the records the landing shard owns and retries the others with Wrong Shard after a fresh map', async () => {
    const { stage, kit, cache, puts, aggregate, call, low, routed } = await resolver();
    stage.landedElsewhere(aggregate, 'shardId-1', '777', call(cache.version), 20, new PendingRetries());
    await settle();
    expect(puts.high.value).toMatchObject({ shardId: 'shardId-1', sequenceNumber: '777', subSequenceNumber: 1 });
    expect(puts.low.settled).toBe(false);
    expect(low.attempts?.map((a) => a.errorCode)).toEqual([WRONG_SHARD]);
    // Predicted with the newest map: it waits for the next one (which the stale map asked for).
    expect(stage.waitingForFreshMap.size).toBe(1);
    expect(routed).toEqual([]);
    expect(kit.memory.value('producer_mispredictions_total')).toBe(1);
    cache.close();
  });

  it('retries with the completion when a newer map is already installed', async () => {
    const { stage, cache, aggregate, call, q, low } = await resolver();
    const retries = new PendingRetries();
    stage.landedElsewhere(aggregate, 'shardId-1', '777', call(cache.version - 1), 20, retries);
    expect(retries.byQueue.get(q)?.records).toEqual([low]);
    expect(retries.groupBackoffMs).toBe(25);
    cache.close();
  });

  it('waits for the range of a shard no map has listed yet, then decides with what is known', async () => {
    const { stage, cache, aggregate, call, puts, scheduler } = await resolver();
    stage.landedElsewhere(aggregate, 'shardId-9', '1', call(cache.version), 20, new PendingRetries());
    expect(stage.waitingForShardRange.size).toBe(1);
    expect(scheduler.wakes).toEqual([30_000]);
    // Without the range only the record routed by the aggregate's own hash key is known to be inside.
    const [landing] = stage.waitingForShardRange.takeAll();
    stage.resolve(landing!, 30_000, cache.version);
    await settle();
    expect(puts.low.value).toMatchObject({ shardId: 'shardId-9' });
    expect(puts.high.error?.name).toBe('RecordExpiredError');
    cache.close();
  });

  it('ordered: puts wrong records back at the head of their queue, which waits for the new map', async () => {
    const { stage, cache, aggregate, call, q, scheduler } = await resolver({ ordered: true });
    stage.landedElsewhere(aggregate, 'shardId-1', '777', call(cache.version), 20, new PendingRetries());
    expect(q.peekReady()!.record.userRecords.map((r) => r.partitionKey)).toEqual(['low']);
    expect(q.orderedSendableAt()).toBe(Infinity);
    expect(scheduler.activated).toEqual([q]);
    cache.close();
  });

  it('fails wrong records with ShutdownError once close gave up', async () => {
    const { stage, cache, aggregate, call, puts } = await resolver({ hardClosed: true });
    stage.landedElsewhere(aggregate, 'shardId-1', '777', call(cache.version), 20, new PendingRetries());
    await settle();
    expect(puts.low.error).toBeInstanceOf(ShutdownError);
    expect(puts.high.value).toBeDefined();
    cache.close();
  });
});
